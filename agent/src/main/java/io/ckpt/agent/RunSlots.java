package io.ckpt.agent;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One checkpoint run per WPAR at a time, scheduled, manual and final alike (issue 20, defect 5).
 * A scheduled run that finds the slot taken is skipped ({@link #tryTake}); a final checkpoint
 * waits for the run under way to end ({@link #take}), bounded by how long that run may last, so
 * the WPAR is never stopped by {@code chkptwpar -k} in the middle of a {@code -p} pause, and the
 * scheduled run's resume never follows the stop. The slot is released only by whoever took it
 * (the old code's final task cleared a scheduled run's flag).
 */
final class RunSlots {
    private final Map<String, Semaphore> slots = new ConcurrentHashMap<>();

    private Semaphore slot(String wpar) {
        return slots.computeIfAbsent(wpar, w -> new Semaphore(1, true));
    }

    /** Takes the slot of {@code wpar} if it is free. */
    boolean tryTake(String wpar) {
        return slot(wpar).tryAcquire();
    }

    /** Takes the slot of {@code wpar}, waiting at most {@code wait} for the run under way; false if it did not end. */
    boolean take(String wpar, Duration wait) throws InterruptedException {
        return slot(wpar).tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether a run of {@code wpar} holds the slot now. */
    boolean busy(String wpar) {
        return slot(wpar).availablePermits() == 0;
    }

    void release(String wpar) {
        slot(wpar).release();
    }
}
