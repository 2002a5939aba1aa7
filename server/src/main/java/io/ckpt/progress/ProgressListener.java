package io.ckpt.progress;

/**
 * Hears how far a long operation has come. The operation calls it from its own thread as often
 * as it likes (once per chunk is fine): an implementation only keeps the latest state, cheaply,
 * and never blocks the operation nor throws. Who sends that state anywhere, and how often, is the
 * listener's business (the server's sends it every few seconds: {@code server.net.ProgressNotices}).
 */
@FunctionalInterface
public interface ProgressListener {
    /** Hears nothing: for runs nobody waits on (scheduled jobs, dry runs in tests). */
    ProgressListener NONE = (phase, done, total, detail) -> { };

    /**
     * The operation is in {@code phase} ("checking chunks", "compacting packs"), at {@code done}
     * of {@code total} items ({@code total} -1: not known), with {@code detail} ("pack 12") or null.
     */
    void report(String phase, long done, long total, String detail);
}
