package io.ckpt.fuzz;

import java.lang.management.ManagementFactory;

/** Bytes the current thread allocates, where the JVM can tell (HotSpot can); -1 elsewhere. */
public final class Allocation {
    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private Allocation() {}

    public static long current() {
        return THREADS == null ? -1 : THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    private static com.sun.management.ThreadMXBean threads() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported()) {
            t.setThreadAllocatedMemoryEnabled(true);
            return t;
        }
        return null;
    }
}
