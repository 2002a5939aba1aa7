package io.ckpt.retention;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A deliberately naive retention reference for tests: each rule on its own, by brute force over
 * the whole list, in the words of the documentation ("the newest checkpoint of each of the N
 * newest days, and the oldest checkpoint while fewer than N days exist"), sharing no code with
 * {@link RetentionPlan}. Valid for zones whose wall clock never runs backwards across a bucket
 * boundary (UTC, Europe/Berlin).
 */
final class NaiveRetention {
    private NaiveRetention() {}

    /** The reasons for each candidate id, in RetentionPlan's documented order; empty = removed. */
    static Map<Long, List<String>> reasons(List<Candidate> all, RetentionPolicy p, ZoneId zone) {
        Map<Long, List<String>> out = new HashMap<>();
        all.forEach(c -> out.put(c.id(), new ArrayList<>()));
        List<Candidate> complete = all.stream().filter(c -> !c.uploading())
                .sorted(Comparator.comparing(Candidate::takenAt).thenComparing(Candidate::id).reversed())
                .toList();
        if (!complete.isEmpty()) {
            Instant newest = complete.stream().map(Candidate::takenAt).max(Comparator.naturalOrder()).orElseThrow();
            Candidate oldest = complete.get(complete.size() - 1);

            for (Set<String> group : p.keepLabelGroups()) {
                complete.stream().filter(c -> c.labels().containsAll(group))
                        .forEach(c -> out.get(c.id()).add("label " + String.join(",", group)));
            }
            if (!p.keepWithin().isZero()) {
                Instant after = countBack(newest, p.keepWithin(), zone);
                complete.stream().filter(c -> c.takenAt().isAfter(after))
                        .forEach(c -> out.get(c.id()).add("within " + p.keepWithin()));
            }
            counted(complete, p.keepLast(), c -> "#" + c.id(), oldest, "last snapshot", out);
            counted(complete, p.keepHourly(), c -> hour(c, zone), oldest, "hourly snapshot", out);
            counted(complete, p.keepDaily(), c -> day(c, zone), oldest, "daily snapshot", out);
            counted(complete, p.keepWeekly(), c -> week(c, zone), oldest, "weekly snapshot", out);
            counted(complete, p.keepMonthly(), c -> month(c, zone), oldest, "monthly snapshot", out);
            counted(complete, p.keepYearly(), c -> year(c, zone), oldest, "yearly snapshot", out);
            within(complete, p.keepWithinHourly(), newest, zone, c -> hour(c, zone), oldest, "hourly", out);
            within(complete, p.keepWithinDaily(), newest, zone, c -> day(c, zone), oldest, "daily", out);
            within(complete, p.keepWithinWeekly(), newest, zone, c -> week(c, zone), oldest, "weekly", out);
            within(complete, p.keepWithinMonthly(), newest, zone, c -> month(c, zone), oldest, "monthly", out);
            within(complete, p.keepWithinYearly(), newest, zone, c -> year(c, zone), oldest, "yearly", out);
            List<Candidate> good = complete.stream().filter(Candidate::isGood).toList();
            int n = p.keepGood() == -1 ? good.size() : Math.min(p.keepGood(), good.size());
            good.subList(0, n).forEach(c -> out.get(c.id()).add("good"));
        }
        Candidate lkg = complete.stream().filter(Candidate::isGood).findFirst().orElse(null);
        for (Candidate c : all) {
            if (c == lkg) {
                out.get(c.id()).add("last known good");
            }
            if (c.protectedFlag()) {
                out.get(c.id()).add("protected");
            }
            if (c.uploading()) {
                out.get(c.id()).add("uploading");
            }
            if (c.inUse()) {
                out.get(c.id()).add("in use");
            }
        }
        return out;
    }

    /** The newest of each of the N newest buckets; the oldest checkpoint too while fewer than N buckets exist. */
    private static void counted(List<Candidate> newestFirst, int n, Function<Candidate, String> bucketOf,
            Candidate oldest, String reason, Map<Long, List<String>> out) {
        if (n == 0) {
            return;
        }
        Map<String, Candidate> newestOfBucket = newestOfEachBucket(newestFirst, bucketOf);
        List<Candidate> firsts = new ArrayList<>(newestOfBucket.values());
        int take = n == -1 ? firsts.size() : Math.min(n, firsts.size());
        firsts.subList(0, take).forEach(c -> out.get(c.id()).add(reason));
        if ((n == -1 || firsts.size() < n) && !firsts.contains(oldest)) {
            out.get(oldest.id()).add("oldest " + reason);
        }
    }

    /** The newest of each bucket among the checkpoints within the span; the oldest checkpoint too if it is within. */
    private static void within(List<Candidate> newestFirst, RetentionDuration span, Instant newest, ZoneId zone,
            Function<Candidate, String> bucketOf, Candidate oldest, String word, Map<Long, List<String>> out) {
        if (span.isZero()) {
            return;
        }
        Instant after = countBack(newest, span, zone);
        List<Candidate> inside = newestFirst.stream().filter(c -> c.takenAt().isAfter(after)).toList();
        List<Candidate> firsts = new ArrayList<>(newestOfEachBucket(inside, bucketOf).values());
        firsts.forEach(c -> out.get(c.id()).add(word + " within " + span));
        if (inside.contains(oldest) && !firsts.contains(oldest)) {
            out.get(oldest.id()).add("oldest " + word + " within " + span);
        }
    }

    private static Map<String, Candidate> newestOfEachBucket(List<Candidate> newestFirst,
            Function<Candidate, String> bucketOf) {
        Map<String, Candidate> firsts = new LinkedHashMap<>();
        for (Candidate c : newestFirst) {
            firsts.putIfAbsent(bucketOf.apply(c), c);
        }
        return firsts;
    }

    /**
     * Months first (day of month kept, overflow into the next month as Go does), then days, on the
     * wall clock; a repeated wall time resolves to its later instant (Go's choice in Berlin), a
     * skipped one moves forward; then hours of elapsed time.
     */
    static Instant countBack(Instant newest, RetentionDuration d, ZoneId zone) {
        LocalDateTime wall = LocalDateTime.ofInstant(newest, zone);
        YearMonth month = YearMonth.from(wall).minusMonths(d.years() * 12L + d.months());
        LocalDate date = month.atDay(1).plusDays(wall.getDayOfMonth() - 1L).minusDays(d.days());
        ZonedDateTime at = ZonedDateTime.ofLocal(date.atTime(wall.toLocalTime()), zone, null).withLaterOffsetAtOverlap();
        return at.toInstant().minusSeconds(3600L * d.hours());
    }

    private static LocalDateTime wall(Candidate c, ZoneId zone) {
        return LocalDateTime.ofInstant(c.takenAt(), zone);
    }

    private static String hour(Candidate c, ZoneId zone) {
        LocalDateTime t = wall(c, zone);
        return t.toLocalDate() + "T" + t.getHour();
    }

    private static String day(Candidate c, ZoneId zone) {
        return wall(c, zone).toLocalDate().toString();
    }

    /** ISO week: the week's Thursday decides the year; the week number counts Thursdays of that year. */
    private static String week(Candidate c, ZoneId zone) {
        LocalDate d = wall(c, zone).toLocalDate();
        LocalDate thursday = d.plusDays(DayOfWeek.THURSDAY.getValue() - d.getDayOfWeek().getValue());
        return thursday.getYear() + "-W" + ((thursday.getDayOfYear() - 1) / 7 + 1);
    }

    private static String month(Candidate c, ZoneId zone) {
        return YearMonth.from(wall(c, zone)).toString();
    }

    private static String year(Candidate c, ZoneId zone) {
        return Integer.toString(wall(c, zone).getYear());
    }
}
