package io.ckpt.agent.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the config writes a duration: whole numbers with units {@code d}, {@code h}, {@code m}, {@code s}, largest
 * first, each at most once: {@code 30s}, {@code 15m}, {@code 1h}, {@code 2h30m}, {@code 1d}, {@code 90s}. A bare
 * {@code 0} is zero.
 */
public final class DurationSyntax {
    private static final Pattern FORMAT = Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");
    private static final long[] SECONDS = {86_400, 3_600, 60, 1};
    private static final String[] UNITS = {"d", "h", "m", "s"};

    private DurationSyntax() {}

    /** Parses {@code text}; the exception's message is the problem, ready for a config error. */
    public static Duration parse(String text) {
        String s = text.trim();
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = FORMAT.matcher(s);
        if (s.isEmpty() || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use 30s, 15m, 1h, 1d)");
        }
        long total = 0;
        for (int i = 0; i < 4; i++) {
            String n = m.group(i + 1);
            if (n != null) {
                try {
                    total = Math.addExact(total, Math.multiplyExact(Long.parseLong(n), SECONDS[i]));
                } catch (ArithmeticException | NumberFormatException e) {
                    throw new IllegalArgumentException("'" + text + "' is too long a duration", e);
                }
            }
        }
        return Duration.ofSeconds(total);
    }

    /** Writes {@code d} the way {@link #parse} reads it ({@code 2h30m}, {@code 0s}); sub-second parts are dropped. */
    public static String format(Duration d) {
        long rest = d.getSeconds();
        if (rest == 0) {
            return "0s";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            long n = rest / SECONDS[i];
            if (n > 0) {
                b.append(n).append(UNITS[i]);
                rest -= n * SECONDS[i];
            }
        }
        return b.toString();
    }
}
