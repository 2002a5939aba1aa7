package io.ckpt.server.net;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Restores ahead of ingest: while any restore (or fetch) runs, each ingest worker may work only
 * {@code --ingest-share} percent of its time and sleeps the rest. After a step of ingest work
 * (one DATA frame: chunk, hash, compress, append to a pack) that took {@code w}, the worker
 * sleeps {@code w × (100 − share) / share}, at most {@link #MAX_PAUSE_MILLIS} at a time.
 *
 * <p>Why a duty cycle rather than a byte rate: it needs no notion of how fast this disk or CPU is,
 * and it frees both (a sleeping worker neither computes nor writes) in the proportion asked for,
 * on any number of cores. Why not a full stop: an upload that made no progress for the length of
 * a long restore would hit the client's and the server's timeouts. While ingest sleeps its queued
 * bytes grow, the connection's read backpressure ({@link UploadBackpressure#HIGH_WATER}) stops
 * reading the socket, and TCP slows the senders: nothing piles up in the heap.
 */
public final class RestorePriority {
    static final long MAX_PAUSE_MILLIS = 500;

    private final int sharePercent;
    private final AtomicInteger restores = new AtomicInteger();
    private final AtomicLong pauses = new AtomicLong();
    private final AtomicLong pausedNanos = new AtomicLong();

    /** {@code sharePercent}: 1 to 100; 100 turns the priority off. */
    public RestorePriority(int sharePercent) {
        if (sharePercent < 1 || sharePercent > 100) {
            throw new IllegalArgumentException("--ingest-share must be 1 to 100 (percent): " + sharePercent);
        }
        this.sharePercent = sharePercent;
    }

    /** A restore or fetch begins; {@link #restoreEnded} must follow. */
    public void restoreStarted() {
        restores.incrementAndGet();
    }

    public void restoreEnded() {
        restores.decrementAndGet();
    }

    /** How long an ingest step that took {@code workNanos} must be followed by sleep; 0 while no restore runs. */
    long pauseNanos(long workNanos) {
        if (sharePercent >= 100 || restores.get() <= 0 || workNanos <= 0) {
            return 0;
        }
        long pause = workNanos / sharePercent * (100 - sharePercent);
        return Math.min(pause, TimeUnit.MILLISECONDS.toNanos(MAX_PAUSE_MILLIS));
    }

    /** Called on an ingest worker after a step of work that took {@code workNanos}: sleeps its due while a restore runs. */
    void yieldAfter(long workNanos) {
        long pause = pauseNanos(workNanos);
        if (pause <= 0) {
            return;
        }
        pauses.incrementAndGet();
        long start = System.nanoTime();
        try {
            TimeUnit.NANOSECONDS.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // shutting down: stop yielding, let the worker see it
        }
        pausedNanos.addAndGet(System.nanoTime() - start);
    }

    public int sharePercent() {
        return sharePercent;
    }

    /** Restores and fetches running now. */
    public int restoresRunning() {
        return Math.max(0, restores.get());
    }

    /** Times an ingest worker paused for a restore, since the start. */
    public long ingestPauses() {
        return pauses.get();
    }

    /** Seconds ingest workers spent paused for restores, all workers together. */
    public double ingestPausedSeconds() {
        return pausedNanos.get() / 1e9;
    }
}
