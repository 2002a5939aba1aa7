package io.ckpt.agent.net;

import java.util.concurrent.TimeUnit;

/**
 * The agent's own upload rate limit ({@code upload.rate-limit}, {@code ckpt push --rate-limit}):
 * a token bucket the sending thread draws from before each DATA frame, sleeping while it is in
 * debt. Over any stretch of time at most {@code rate × time + burst} bytes go out, where the burst
 * is a tenth of a second of the rate (at least one 1 MiB frame). Not thread-safe: one sender.
 */
public final class SendPacer {
    private final long bytesPerSecond;
    private final double burst;
    private double tokens;
    private long at;
    private long sleptNanos;

    public SendPacer(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("rate must be more than 0 bytes per second: " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.burst = Math.max(1 << 20, bytesPerSecond / 10.0);
        this.tokens = burst;
        this.at = System.nanoTime();
    }

    /** Waits until {@code bytes} more may be sent. */
    public void take(long bytes) throws InterruptedException {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - at) / 1e9 * bytesPerSecond) - bytes;
        at = now;
        if (tokens < 0) {
            long wait = (long) Math.ceil(-tokens / bytesPerSecond * 1e9);
            TimeUnit.NANOSECONDS.sleep(wait);
            sleptNanos += wait;
        }
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** How long {@link #take} slept in all. */
    public long sleptNanos() {
        return sleptNanos;
    }
}
