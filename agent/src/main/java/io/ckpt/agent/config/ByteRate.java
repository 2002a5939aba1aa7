package io.ckpt.agent.config;

/**
 * Bytes per second, written as a {@link ByteSize} per second: {@code 50MiB/s}, {@code 512KiB/s};
 * {@code off} (0) for no limit.
 */
public record ByteRate(long bytesPerSecond) {
    public static final ByteRate OFF = new ByteRate(0);

    public ByteRate {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("rate must not be negative: " + bytesPerSecond);
        }
    }

    /** Parses {@code text}; the exception's message is the problem, ready for a config error. */
    public static ByteRate parse(String text) {
        String t = text.trim();
        if (t.equals("off")) {
            return OFF;
        }
        if (!t.endsWith("/s")) {
            throw new IllegalArgumentException("'" + text + "' is not a rate (use 50MiB/s, 512KiB/s, or off)");
        }
        ByteSize size;
        try {
            size = ByteSize.parse(t.substring(0, t.length() - 2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a rate (use 50MiB/s, 512KiB/s, or off)", e);
        }
        if (size.bytes() == 0) {
            throw new IllegalArgumentException("'" + text + "' must be more than 0 (or off for no limit)");
        }
        return new ByteRate(size.bytes());
    }

    public boolean isOff() {
        return bytesPerSecond == 0;
    }

    @Override
    public String toString() {
        return isOff() ? "off" : new ByteSize(bytesPerSecond) + "/s";
    }
}
