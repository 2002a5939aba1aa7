package io.ckpt.agent.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A number of bytes, written in the config as a whole number and a binary unit: {@code 4096B}, {@code 64KiB},
 * {@code 512MiB}, {@code 10GiB}, {@code 2TiB}.
 */
public record ByteSize(long bytes) {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|TiB)");
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("size must not be negative: " + bytes);
        }
    }

    /** Parses {@code text}; the exception's message is the problem, ready for a config error. */
    public static ByteSize parse(String text) {
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (use 512MiB, 10GiB; units B, KiB, MiB, GiB, TiB)");
        }
        int shift = 0;
        while (!UNITS[shift].equals(m.group(2))) {
            shift++;
        }
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> (10 * shift))) {
                throw new NumberFormatException();
            }
            return new ByteSize(n << (10 * shift));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large a size", e);
        }
    }

    /** The largest unit that writes this size as a whole number: {@code 10GiB}, {@code 1536MiB}. */
    @Override
    public String toString() {
        int shift = 0;
        while (shift < UNITS.length - 1 && bytes != 0 && (bytes & ((1L << (10 * (shift + 1))) - 1)) == 0) {
            shift++;
        }
        return (bytes >> (10 * shift)) + UNITS[shift];
    }
}
