package io.ckpt.agent.config;

import java.time.Duration;

/**
 * How uploads go ({@code upload:}): in which mode, and how they are retried: after a failed attempt,
 * wait and try again, up to {@code retries} more times, the wait doubling from {@code backoff} up to
 * {@code maxBackoff}.
 *
 * @param retries {@code retries}, default 5; 0 to 100 (0: one attempt only)
 * @param backoff {@code backoff}, default {@code 2s}; at least 1s
 * @param maxBackoff {@code max-backoff}, default {@code 5m}; at least {@code backoff}
 * @param rateLimit {@code rate-limit}, default {@code off}: how fast the agent sends upload data
 * @param mode {@code mode}: {@code stream}, {@code delta}, or {@code auto} (the default: delta for
 *     checkpoints spooled as files, stream for checkpoints streamed from a command's stdout)
 */
public record UploadPolicy(int retries, Duration backoff, Duration maxBackoff, ByteRate rateLimit, String mode) {
    public static final String AUTO = "auto";
    public static final UploadPolicy DEFAULT = new UploadPolicy(5, Duration.ofSeconds(2), Duration.ofMinutes(5));

    /** Without a rate limit, mode {@code auto}. */
    public UploadPolicy(int retries, Duration backoff, Duration maxBackoff) {
        this(retries, backoff, maxBackoff, ByteRate.OFF, AUTO);
    }

    /** Mode {@code auto}. */
    public UploadPolicy(int retries, Duration backoff, Duration maxBackoff, ByteRate rateLimit) {
        this(retries, backoff, maxBackoff, rateLimit, AUTO);
    }

    public UploadPolicy {
        java.util.Objects.requireNonNull(rateLimit, "rateLimit");
        if (!mode.equals(AUTO) && !mode.equals("stream") && !mode.equals("delta")) {
            throw new IllegalArgumentException("mode must be stream, delta or auto: " + mode);
        }
        if (retries < 0) {
            throw new IllegalArgumentException("retries must not be negative: " + retries);
        }
        if (backoff.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("backoff must be at least 1s: " + backoff);
        }
        if (maxBackoff.compareTo(backoff) < 0) {
            throw new IllegalArgumentException("max-backoff " + DurationSyntax.format(maxBackoff)
                    + " is less than backoff " + DurationSyntax.format(backoff));
        }
    }

    /** The mode for an upload whose source is files ({@code fromFiles}) or a command's stdout. */
    public String modeFor(boolean fromFiles) {
        return mode.equals(AUTO) ? (fromFiles ? "delta" : "stream") : mode;
    }

    /** The wait before retry number {@code retry} (1 for the first): {@code backoff * 2^(retry-1)}, at most {@code maxBackoff}. */
    public Duration backoffBefore(int retry) {
        if (retry < 1) {
            throw new IllegalArgumentException("retry numbers start at 1: " + retry);
        }
        Duration wait = backoff;
        for (int i = 1; i < retry && wait.compareTo(maxBackoff) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(maxBackoff) < 0 ? wait : maxBackoff;
    }
}
