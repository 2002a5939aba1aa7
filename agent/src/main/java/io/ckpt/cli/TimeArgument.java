package io.ckpt.cli;

import io.ckpt.agent.config.DurationSyntax;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A time given on the command line ({@code restore --at}, {@code push --taken-at}): ISO-8601 with
 * Z or an offset, ISO-8601 without one in this machine's zone, or relative to now: {@code now},
 * {@code 2h ago} (a duration as the agent config writes it), {@code today 08:30},
 * {@code yesterday 14:00}.
 *
 * <p>Local times are resolved in the clock's zone as {@link ZonedDateTime#of} does: a time that a
 * daylight-saving change skips moves forward by the length of the gap (02:30 becomes 03:30), and
 * a time that occurs twice means the earlier of the two. {@code N d ago} is N × 24 hours, not
 * the same wall-clock time N calendar days back.
 */
final class TimeArgument {
    /** Every accepted form, for error messages and --help. */
    static final String FORMS = "2026-11-26T14:00:00Z or 2026-11-26T14:00:00+01:00 (ISO-8601), 2026-11-26T14:00:00"
            + " (local time), now, 30m ago, 2h ago, 3d ago, 2h30m ago, today 08:30, yesterday 14:00 (local time)";
    private static final Pattern AGO = Pattern.compile("(\\S+)\\s+ago", Pattern.CASE_INSENSITIVE);
    private static final Pattern DAY_TIME = Pattern.compile("(today|yesterday)(?:\\s+(\\S+))?", Pattern.CASE_INSENSITIVE);
    private static final Pattern TIME_OF_DAY = Pattern.compile("(\\d{1,2}):(\\d{2})(?::(\\d{2}))?");

    private TimeArgument() {}

    /** Parses {@code s}, the value of {@code option}, against the system clock and zone. */
    static Instant parse(String option, String s) throws CliException {
        return parse(option, s, Clock.systemDefaultZone());
    }

    /** The earliest time accepted: 0001-01-01T00:00:00Z. */
    static final Instant MIN = Instant.parse("0001-01-01T00:00:00Z");
    /** The latest time accepted: 9999-12-31T23:59:59.999Z (the server counts in epoch milliseconds). */
    static final Instant MAX = Instant.parse("9999-12-31T23:59:59.999Z");

    /**
     * Parses {@code s}: relative forms count from {@code clock}'s now, local times are in its zone.
     * A time outside {@link #MIN}..{@link #MAX} is a usage error, not something for the server to
     * overflow on.
     */
    static Instant parse(String option, String s, Clock clock) throws CliException {
        Instant t = parseAny(option, s, clock);
        if (t.isBefore(MIN) || t.isAfter(MAX)) {
            throw bad(option, s, "give a time between " + MIN + " and " + MAX);
        }
        return t;
    }

    private static Instant parseAny(String option, String s, Clock clock) throws CliException {
        String text = s.strip();
        if (text.equalsIgnoreCase("now")) {
            return clock.instant();
        }
        Matcher ago = AGO.matcher(text);
        if (ago.matches()) {
            Duration d;
            try {
                d = DurationSyntax.parse(ago.group(1));
            } catch (IllegalArgumentException e) {
                throw bad(option, s, "'" + ago.group(1) + "' is not a duration (use 30s, 15m, 2h, 3d, 2h30m)");
            }
            try {
                return clock.instant().minus(d);
            } catch (DateTimeException | ArithmeticException e) {
                throw bad(option, s, "'" + ago.group(1) + "' ago is before any representable time");
            }
        }
        Matcher day = DAY_TIME.matcher(text);
        if (day.matches()) {
            if (day.group(2) == null) {
                throw bad(option, s, "give a time of day, e.g. '" + day.group(1).toLowerCase(Locale.ROOT) + " 14:00'");
            }
            LocalTime time = timeOfDay(option, s, day.group(2));
            LocalDate today = LocalDate.now(clock);
            LocalDate date = day.group(1).equalsIgnoreCase("today") ? today : today.minusDays(1);
            return ZonedDateTime.of(date, time, clock.getZone()).toInstant();
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return ZonedDateTime.of(LocalDateTime.parse(text), clock.getZone()).toInstant();
        } catch (DateTimeParseException e) {
            throw bad(option, s, null);
        }
    }

    private static LocalTime timeOfDay(String option, String s, String t) throws CliException {
        Matcher m = TIME_OF_DAY.matcher(t);
        if (m.matches()) {
            try {
                return LocalTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        m.group(3) == null ? 0 : Integer.parseInt(m.group(3)));
            } catch (DateTimeException e) {
                // out of range: reported below
            }
        }
        throw bad(option, s, "'" + t + "' is not a time of day (HH:MM or HH:MM:SS, 00:00 to 23:59:59)");
    }

    private static CliException bad(String option, String s, String why) {
        return new CliException(ExitCode.USAGE, option + " '" + s + "' is not a time" + (why == null ? "" : ": " + why)
                + "; accepted: " + FORMS);
    }
}
