package io.ckpt.retention;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneRules;

/**
 * A keep-within span in restic's units: years, months, days and hours, written {@code 1y2m3d4h}
 * (any order, each unit at most once, {@code m} is months). All zero means "rule off".
 */
public record RetentionDuration(int years, int months, int days, int hours) {
    public static final RetentionDuration ZERO = new RetentionDuration(0, 0, 0, 0);

    public RetentionDuration {
        if (years < 0 || months < 0 || days < 0 || hours < 0) {
            throw new IllegalArgumentException("negative duration: " + years + "y" + months + "m" + days + "d" + hours + "h");
        }
    }

    /**
     * Parses {@code 1y2m3d4h}, {@code 30d}, {@code 12h}, {@code 1y1d1m}. The key names the option in
     * the message of the {@link InvalidPolicyException} thrown for anything else.
     */
    public static RetentionDuration parse(String key, String text) {
        if (text == null || text.isBlank()) {
            throw invalid(key, text, "empty");
        }
        String s = text.strip();
        if (s.indexOf('-') >= 0) {
            throw invalid(key, text, "negative durations are not allowed");
        }
        long[] parts = {-1, -1, -1, -1};
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == start) {
                throw invalid(key, text, "expected a number at '" + s.substring(start) + "'");
            }
            if (i == s.length()) {
                throw invalid(key, text, "no unit after " + s.substring(start));
            }
            long n;
            try {
                n = Long.parseLong(s.substring(start, i));
            } catch (NumberFormatException e) {
                n = Long.MAX_VALUE;
            }
            if (n > Integer.MAX_VALUE) {
                throw invalid(key, text, s.substring(start, i) + " is too large");
            }
            char unit = s.charAt(i++);
            int slot = "ymdh".indexOf(unit);
            if (slot < 0) {
                throw invalid(key, text, "unknown unit '" + unit + "'");
            }
            if (parts[slot] >= 0) {
                throw invalid(key, text, "unit '" + unit + "' given twice");
            }
            parts[slot] = n;
        }
        return new RetentionDuration((int) Math.max(parts[0], 0), (int) Math.max(parts[1], 0),
                (int) Math.max(parts[2], 0), (int) Math.max(parts[3], 0));
    }

    private static InvalidPolicyException invalid(String key, String text, String why) {
        return new InvalidPolicyException(key + ": '" + text + "' is not a duration (" + why
                + "; use e.g. 1y2m3d4h: y years, m months, d days, h hours)");
    }

    public boolean isZero() {
        return years == 0 && months == 0 && days == 0 && hours == 0;
    }

    /**
     * The instant this span before {@code newest}, counted as restic counts it: the wall-clock date
     * in {@code zone} moves back by years, months and days together, with Go's {@code AddDate}
     * normalisation (31 March less one month is "31 February", which is 3 March, or 2 March in a
     * leap year), the wall time is resolved in {@code zone} as Go's {@code time.Date} resolves it,
     * and then the hours are subtracted as elapsed time. A span reaching past the representable
     * past gives {@link Instant#MIN}: everything is within it.
     */
    public Instant countBackFrom(Instant newest, ZoneId zone) {
        try {
            LocalDateTime wall = LocalDateTime.ofInstant(newest, zone);
            long monthIndex = wall.getMonthValue() - 1L - months;
            long year = wall.getYear() - (long) years + Math.floorDiv(monthIndex, 12);
            int month = (int) Math.floorMod(monthIndex, 12) + 1;
            if (year < -999_999_999L) {
                return Instant.MIN;
            }
            LocalDate date = LocalDate.of((int) year, month, 1).plusDays(wall.getDayOfMonth() - 1L - days);
            Instant dated = resolveLikeGo(date.atTime(wall.toLocalTime()), zone.getRules());
            return dated.minusSeconds(hours * 3600L);
        } catch (DateTimeException | ArithmeticException e) {
            return Instant.MIN;
        }
    }

    /**
     * Go's {@code time.Date} turns a wall time into an instant by taking the zone offset in force
     * at the wall time read as UTC, and, if that offset does not hold at the corrected instant, the
     * offset in force there. In Europe/Berlin this picks the later (winter) instant for a wall time
     * the autumn change repeats, and moves a wall time the spring change skips forward by an hour.
     */
    private static Instant resolveLikeGo(LocalDateTime wall, ZoneRules rules) {
        long asUtc = wall.toEpochSecond(ZoneOffset.UTC);
        int guess = rules.getOffset(Instant.ofEpochSecond(asUtc)).getTotalSeconds();
        int offset = rules.getOffset(Instant.ofEpochSecond(asUtc - guess)).getTotalSeconds();
        return Instant.ofEpochSecond(asUtc - offset, wall.getNano());
    }

    /** restic's spelling: the non-zero units in the order y, m, d, h ({@code 1y1d1m} prints {@code 1y1m1d}). */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        if (years != 0) {
            s.append(years).append('y');
        }
        if (months != 0) {
            s.append(months).append('m');
        }
        if (days != 0) {
            s.append(days).append('d');
        }
        if (hours != 0) {
            s.append(hours).append('h');
        }
        return s.isEmpty() ? "0h" : s.toString();
    }
}
