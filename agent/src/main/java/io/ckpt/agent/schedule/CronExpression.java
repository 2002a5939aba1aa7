package io.ckpt.agent.schedule;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * A standard 5-field Unix cron expression: {@code minute hour day-of-month month day-of-week}.
 *
 * <p>Each field is {@code *} or a comma-separated list of {@code N}, {@code N-M}, <code>&#42;/S</code>, {@code N-M/S} or
 * {@code N/S} (N to the field's maximum, every S). Months may be written {@code jan}..{@code dec} and days of the week
 * {@code sun}..{@code sat}; day of week 0 and 7 are both Sunday. As in Vixie cron, when both day fields are
 * restricted (neither starts with {@code *}) a day matches if either matches; otherwise both must match. The macros
 * {@code @hourly}, {@code @daily} ({@code @midnight}), {@code @weekly}, {@code @monthly} and {@code @yearly}
 * ({@code @annually}) are accepted. Expressions that can never match (such as {@code 0 0 31 2 *}) are rejected.
 *
 * <p>Times are local to the zone given to {@link #nextAfter}: a local time skipped by a daylight-saving jump runs at
 * the same offset after the jump. A local time that occurs twice (the autumn change) follows Vixie cron's cron(8):
 * a job at a particular time (neither its minute nor its hour field starts with {@code *}) runs once, at the first
 * occurrence; a job with a wildcard there ({@code @hourly}, {@code *}{@code /20 * * * *}) runs on the wall clock,
 * so in both occurrences: an hourly job runs every real hour, with no two-hour gap.
 */
public final class CronExpression {
    private static final List<String> FIELD_NAMES = List.of("minute", "hour", "day-of-month", "month", "day-of-week");
    private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    private static final String[] DAYS = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    /** Long enough to reach the next 29 February that falls in a matching month, across a skipped leap year. */
    private static final int SEARCH_YEARS = 10;

    private final String text;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    private final boolean eitherDay;
    /** Minute or hour field starts with '*': runs in both occurrences of a repeated local time (Vixie cron). */
    private final boolean wallClock;

    private CronExpression(String text, String[] fields) {
        this.text = text;
        this.minutes = field(fields, 0, 0, 59, null);
        this.hours = field(fields, 1, 0, 23, null);
        this.daysOfMonth = field(fields, 2, 1, 31, null);
        this.months = field(fields, 3, 1, 12, MONTHS);
        BitSet dow = field(fields, 4, 0, 7, DAYS);
        if (dow.get(7)) {
            dow.set(0);
            dow.clear(7);
        }
        this.daysOfWeek = dow;
        this.eitherDay = !fields[2].startsWith("*") && !fields[4].startsWith("*");
        this.wallClock = fields[0].startsWith("*") || fields[1].startsWith("*");
    }

    /** Parses {@code text}; the {@link IllegalArgumentException} names the field and value that are wrong. */
    public static CronExpression parse(String text) {
        String trimmed = text.trim();
        String expanded = switch (trimmed.toLowerCase(Locale.ROOT)) {
            case "@yearly", "@annually" -> "0 0 1 1 *";
            case "@monthly" -> "0 0 1 * *";
            case "@weekly" -> "0 0 * * 0";
            case "@daily", "@midnight" -> "0 0 * * *";
            case "@hourly" -> "0 * * * *";
            default -> trimmed;
        };
        String[] fields = expanded.isEmpty() ? new String[0] : expanded.split("\\s+");
        if (fields.length != 5) {
            throw new IllegalArgumentException("'" + text + "' is not a cron expression: expected 5 fields ("
                    + String.join(" ", FIELD_NAMES) + "), found " + fields.length);
        }
        CronExpression cron;
        try {
            cron = new CronExpression(trimmed, fields);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a cron expression: " + e.getMessage(), e);
        }
        if (!cron.eitherDay && !cron.canMatchSomeMonth()) {
            throw new IllegalArgumentException("'" + text + "' never matches: none of its months has any of its days of the month");
        }
        return cron;
    }

    /** The first matching minute strictly after {@code after}, as an instant, with local times taken in {@code zone}. */
    public Instant nextAfter(Instant after, ZoneId zone) {
        Instant first = firstOccurrenceAfter(after, zone);
        if (!wallClock) {
            return first;
        }
        // The second occurrence of a repeated local hour comes after its first one in time but not in
        // wall-clock order: look for a match there, between 'after' and the first-occurrence answer.
        java.time.zone.ZoneOffsetTransition tr = zone.getRules().nextTransition(after.minus(java.time.Duration.ofHours(3)));
        while (tr != null && tr.getInstant().isBefore(first)) {
            if (tr.isOverlap()) {
                Instant repeatEnd = tr.getInstant().plus(tr.getDuration().negated());
                for (LocalDateTime t = tr.getDateTimeAfter(); t.isBefore(tr.getDateTimeBefore()); t = t.plusMinutes(1)) {
                    Instant later = t.atOffset(tr.getOffsetAfter()).toInstant();
                    if (later.isAfter(after) && later.isBefore(first) && later.isBefore(repeatEnd) && matches(t)) {
                        return later;
                    }
                }
            }
            tr = zone.getRules().nextTransition(tr.getInstant());
        }
        return first;
    }

    /** The first matching local minute after {@code after}, each local time taken at its first occurrence. */
    private Instant firstOccurrenceAfter(Instant after, ZoneId zone) {
        LocalDateTime t = LocalDateTime.ofInstant(after, zone).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        LocalDate limit = t.toLocalDate().plusYears(SEARCH_YEARS);
        while (t.toLocalDate().isBefore(limit)) {
            if (!months.get(t.getMonthValue())) {
                t = t.toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay();
                continue;
            }
            if (!dayMatches(t.toLocalDate())) {
                t = t.toLocalDate().plusDays(1).atStartOfDay();
                continue;
            }
            int hour = hours.nextSetBit(t.getHour());
            if (hour < 0) {
                t = t.toLocalDate().plusDays(1).atStartOfDay();
                continue;
            }
            if (hour != t.getHour()) {
                t = t.withHour(hour).withMinute(0);
            }
            int minute = minutes.nextSetBit(t.getMinute());
            if (minute < 0) {
                t = t.withMinute(0).plusHours(1);
                continue;
            }
            t = t.withMinute(minute);
            Instant candidate = t.atZone(zone).toInstant();
            if (candidate.isAfter(after)) {
                return candidate;
            }
            t = t.plusMinutes(1);
        }
        throw new IllegalStateException("cron '" + text + "' has no match within " + SEARCH_YEARS + " years after " + after);
    }

    /** Whether the local minute {@code t} (seconds ignored) matches. */
    public boolean matches(LocalDateTime t) {
        return months.get(t.getMonthValue()) && dayMatches(t.toLocalDate()) && hours.get(t.getHour())
                && minutes.get(t.getMinute());
    }

    private boolean dayMatches(LocalDate d) {
        boolean dom = daysOfMonth.get(d.getDayOfMonth());
        boolean dow = daysOfWeek.get(d.getDayOfWeek().getValue() % 7);
        return eitherDay ? dom || dow : dom && dow;
    }

    private boolean canMatchSomeMonth() {
        for (int m = months.nextSetBit(1); m >= 0; m = months.nextSetBit(m + 1)) {
            int first = daysOfMonth.nextSetBit(1);
            if (first >= 0 && first <= Month.of(m).maxLength()) {
                return true;
            }
        }
        return false;
    }

    private static BitSet field(String[] fields, int index, int min, int max, String[] names) {
        String name = FIELD_NAMES.get(index);
        String spec = fields[index];
        BitSet bits = new BitSet(max + 1);
        for (String item : spec.split(",", -1)) {
            if (item.isEmpty()) {
                throw new IllegalArgumentException(name + " field '" + spec + "' has an empty list item");
            }
            int slash = item.indexOf('/');
            String range = slash < 0 ? item : item.substring(0, slash);
            int step = 1;
            if (slash >= 0) {
                step = number(item.substring(slash + 1), name, "step", 1, max - min + 1, null);
            }
            int lo;
            int hi;
            if (range.equals("*")) {
                lo = min;
                hi = max;
            } else {
                int dash = range.indexOf('-');
                if (dash < 0) {
                    lo = number(range, name, "value", min, max, names);
                    hi = slash < 0 ? lo : max;
                } else {
                    lo = number(range.substring(0, dash), name, "value", min, max, names);
                    hi = number(range.substring(dash + 1), name, "value", min, max, names);
                    if (hi < lo) {
                        throw new IllegalArgumentException(name + " range '" + range + "' runs backwards (write it as two ranges)");
                    }
                }
            }
            for (int v = lo; v <= hi; v += step) {
                bits.set(v);
            }
        }
        return bits;
    }

    private static int number(String s, String field, String what, int min, int max, String[] names) {
        if (names != null) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equalsIgnoreCase(s)) {
                    return i + (names == MONTHS ? 1 : 0);
                }
            }
        }
        boolean digits = !s.isEmpty() && s.length() < 4 && s.chars().allMatch(c -> c >= '0' && c <= '9');
        int v = digits ? Integer.parseInt(s) : -1;
        if (v < 0) {
            throw new IllegalArgumentException(field + " " + what + " '" + s + "' is not a number"
                    + (names == null ? "" : " or a name (" + names[0] + ".." + names[names.length - 1] + ")"));
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(field + " " + what + " " + v + " is out of range " + min + "-" + max);
        }
        return v;
    }

    /** The expression as written (a macro stays a macro). */
    public String text() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CronExpression c && c.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
