package io.ckpt.server.net;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --host-upload-rate}: how fast the server reads upload bytes from one host, all its
 * connections together. A token bucket per host id (the handshake's HOST_ID): the bytes of each
 * DATA frame are charged when it arrives, the bucket may go into debt, and the connection stops
 * reading its socket until the debt is paid back at the rate ({@link #charge} says for how long).
 * So over any stretch of time a host gets at most {@code rate × time + burst} bytes in, where the
 * burst is {@link #BURST_SECONDS} of the rate (at least 64 KiB); TCP slows the sender meanwhile.
 */
public final class HostRateLimiter {
    static final double BURST_SECONDS = 0.05;
    private static final Pattern RATE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB)/s");
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB"};

    private final long bytesPerSecond;
    private final long burst;
    private final LongSupplier nanoClock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicLong throttles = new AtomicLong();
    private final AtomicLong throttledNanos = new AtomicLong();

    /** {@code bytesPerSecond} 0: no limit. */
    public HostRateLimiter(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime);
    }

    HostRateLimiter(long bytesPerSecond, LongSupplier nanoClock) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("--host-upload-rate must not be negative: " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.burst = Math.max(64 << 10, (long) (bytesPerSecond * BURST_SECONDS));
        this.nanoClock = nanoClock;
    }

    /**
     * Parses {@code off} (0) or a rate {@code N UNIT/s} with a binary unit: {@code 100MiB/s},
     * {@code 512KiB/s}. The message names what is wrong.
     */
    public static long parse(String option, String text) {
        if (text.trim().equalsIgnoreCase("off")) {
            return 0;
        }
        Matcher m = RATE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " '" + text + "' is not a rate: use 100MiB/s, 512KiB/s (units B, KiB,"
                    + " MiB, GiB per second) or 'off'");
        }
        int shift = java.util.List.of(UNITS).indexOf(m.group(2));
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " '" + text + "' is too large");
        }
        if (n == 0 || n > (Long.MAX_VALUE >> (10 * shift))) {
            throw new IllegalArgumentException(option + " '" + text + "' must be more than 0 and at most 8EiB/s (or 'off')");
        }
        return n << (10 * shift);
    }

    /** The rate as given back to a person: {@code 100 MiB/s}, or {@code off}. */
    public static String format(long bytesPerSecond) {
        if (bytesPerSecond == 0) {
            return "off";
        }
        int shift = 0;
        while (shift < UNITS.length - 1 && (bytesPerSecond & ((1L << (10 * (shift + 1))) - 1)) == 0) {
            shift++;
        }
        return String.format(Locale.ROOT, "%d%s/s", bytesPerSecond >> (10 * shift), UNITS[shift]);
    }

    public boolean enabled() {
        return bytesPerSecond > 0;
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /**
     * Charges {@code bytes} just read from {@code host}, and returns how many nanoseconds the
     * connection must now stop reading (0: read on).
     */
    public long charge(String host, long bytes) {
        if (bytesPerSecond == 0) {
            return 0;
        }
        Bucket b = buckets.computeIfAbsent(host, h -> new Bucket(burst, nanoClock.getAsLong()));
        long wait;
        synchronized (b) {
            long now = nanoClock.getAsLong();
            double refill = (now - b.at) / 1e9 * bytesPerSecond;
            b.tokens = Math.min(burst, b.tokens + refill) - bytes;
            b.at = now;
            wait = b.tokens >= 0 ? 0 : (long) Math.ceil(-b.tokens / bytesPerSecond * 1e9);
        }
        if (wait > 0) {
            throttles.incrementAndGet();
            throttledNanos.addAndGet(wait);
        }
        return wait;
    }

    /** Times a connection stopped reading for the rate. */
    public long throttles() {
        return throttles.get();
    }

    /** Seconds connections were held back by the rate, all together. */
    public double throttledSeconds() {
        return throttledNanos.get() / 1e9;
    }

    private static final class Bucket {
        double tokens;
        long at;

        Bucket(double tokens, long at) {
            this.tokens = tokens;
            this.at = at;
        }
    }
}
