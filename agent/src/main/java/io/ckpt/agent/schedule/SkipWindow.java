package io.ckpt.agent.schedule;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A daily local-time window in which no checkpoint starts, written {@code HH:MM-HH:MM}: from {@code start}
 * (inclusive) to {@code end} (exclusive). A window whose end is not after its start wraps midnight
 * ({@code 22:00-02:00}); {@code 24:00} may be written as an end for midnight.
 */
public record SkipWindow(LocalTime start, LocalTime end) {
    private static final Pattern FORMAT = Pattern.compile("(\\d{1,2}:\\d{2})\\s*-\\s*(\\d{1,2}:\\d{2})");
    private static final int MINUTES_PER_DAY = 24 * 60;

    public SkipWindow {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        start = start.truncatedTo(ChronoUnit.MINUTES);
        end = end.truncatedTo(ChronoUnit.MINUTES);
        if (start.equals(end)) {
            throw new IllegalArgumentException("skip window " + start + "-" + end + " is empty (start equals end)");
        }
    }

    /** Parses {@code HH:MM-HH:MM}; the exception says what is wrong with {@code text}. */
    public static SkipWindow parse(String text) {
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a skip window (use HH:MM-HH:MM, such as 01:00-03:00)");
        }
        LocalTime start = time(text, m.group(1), false);
        LocalTime end = time(text, m.group(2), true);
        if (start.equals(end)) {
            throw new IllegalArgumentException("skip window '" + text + "' is empty (start equals end)");
        }
        return new SkipWindow(start, end);
    }

    private static LocalTime time(String window, String hhmm, boolean isEnd) {
        if (isEnd && hhmm.equals("24:00")) {
            return LocalTime.MIDNIGHT;
        }
        String padded = hhmm.length() == 4 ? "0" + hhmm : hhmm;
        try {
            return LocalTime.parse(padded);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("skip window '" + window + "': '" + hhmm + "' is not a time of day (00:00 to 23:59)", e);
        }
    }

    /** Whether the window wraps midnight. */
    public boolean wraps() {
        return !end.isAfter(start);
    }

    /** Whether the local time {@code t} falls inside the window. */
    public boolean contains(LocalTime t) {
        boolean afterStart = !t.isBefore(start);
        boolean beforeEnd = t.isBefore(end);
        return wraps() ? afterStart || beforeEnd : afterStart && beforeEnd;
    }

    /** The instant this window ends, for a time {@code t} inside it. */
    public Instant endOf(Instant t, ZoneId zone) {
        ZonedDateTime local = t.atZone(zone);
        LocalDate day = local.toLocalDate();
        if (wraps() && !local.toLocalTime().isBefore(start)) {
            day = day.plusDays(1);
        }
        return ZonedDateTime.of(day, end, zone).toInstant();
    }

    /** Throws if {@code windows} together leave no minute of the day in which a checkpoint could start. */
    public static void requireTimeToRun(List<SkipWindow> windows) {
        BitSet covered = new BitSet(MINUTES_PER_DAY);
        for (SkipWindow w : windows) {
            int from = w.start.toSecondOfDay() / 60;
            int to = w.end.toSecondOfDay() / 60;
            if (w.wraps()) {
                covered.set(from, MINUTES_PER_DAY);
                covered.set(0, to);
            } else {
                covered.set(from, to);
            }
        }
        if (covered.cardinality() == MINUTES_PER_DAY) {
            throw new IllegalArgumentException("skip windows " + windows + " cover the whole day: no checkpoint could ever start");
        }
    }

    @Override
    public String toString() {
        return start + "-" + (end.equals(LocalTime.MIDNIGHT) ? "24:00" : end.toString());
    }
}
