package io.ckpt.restore;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The checkpoints that restores (and, later, relocations) are reading right now. Prune never
 * removes one of them: it decides and deletes while holding this registry's lock, and a restore
 * registers under the same lock before it reads the checkpoint, so either the restore sees the
 * checkpoint gone, or prune sees it in use.
 */
public final class ReadersInUse {
    private final Map<Long, Integer> readers = new HashMap<>();

    /** Work done while no reader can register or leave. */
    @FunctionalInterface
    public interface Locked<R> {
        R run(Set<Long> inUse) throws IOException;
    }

    /** Id under which a reader of the whole datastore (verify) registers: it holds pack files open too. */
    public static final long WHOLE_DATASTORE = -1;

    public synchronized void acquire(long checkpointId) {
        readers.merge(checkpointId, 1, Integer::sum);
    }

    public synchronized void release(long checkpointId) {
        readers.computeIfPresent(checkpointId, (k, n) -> n == 1 ? null : n - 1);
    }

    /** How many readers are registered now (a checkpoint read twice counts twice): for metrics and tests. */
    public synchronized int count() {
        return readers.values().stream().mapToInt(Integer::intValue).sum();
    }

    public synchronized <R> R whileLocked(Locked<R> work) throws IOException {
        return work.run(Set.copyOf(readers.keySet()));
    }
}
