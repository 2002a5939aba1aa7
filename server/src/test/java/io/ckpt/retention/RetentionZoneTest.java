package io.ckpt.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Calendar buckets are read on the wall clock of the server's zone: DST changes, month and year
 * ends that fall on different days in UTC and Europe/Berlin, ISO weeks across the new year.
 */
final class RetentionZoneTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    /** One checkpoint at every {@code step} seconds from {@code first} (inclusive) to {@code end} (exclusive). */
    private static List<Candidate> every(long step, String first, String end) {
        List<Candidate> out = new ArrayList<>();
        long id = 1;
        for (Instant t = Instant.parse(first); t.isBefore(Instant.parse(end)); t = t.plusSeconds(step)) {
            out.add(Candidate.of(id++, t));
        }
        return out;
    }

    private static List<Instant> kept(List<Candidate> candidates, String key, String value, ZoneId zone) {
        return RetentionPlan.compute(candidates, RetentionPolicy.of(key, value), zone).kept().stream()
                .map(d -> d.candidate().takenAt()).toList();
    }

    private static List<Candidate> atTimes(String... times) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < times.length; i++) {
            out.add(Candidate.of(i + 1, Instant.parse(times[i])));
        }
        return out;
    }

    @Test
    void theAutumnChangeRepeatsTwoOClockInBerlinAndThatHourIsOneHourlyBucket() {
        // 29 October 2023 in Berlin, 00:30 CEST to 23:30 CET: 25 hourly checkpoints, 02:30 twice
        List<Candidate> day = every(3600, "2023-10-28T22:30:00Z", "2023-10-29T23:00:00Z");
        assertEquals(25, day.size());
        List<Instant> hourly = kept(day, "keep-hourly", "-1", BERLIN);
        assertEquals(24, hourly.size());
        assertEquals(false, hourly.contains(Instant.parse("2023-10-29T00:30:00Z")), "02:30 CEST, the earlier 02:30");
        assertEquals(true, hourly.contains(Instant.parse("2023-10-29T01:30:00Z")), "02:30 CET, the later 02:30");
        assertEquals(25, kept(day, "keep-hourly", "-1", ZoneOffset.UTC).size());
        assertEquals(List.of(Instant.parse("2023-10-29T22:30:00Z")), kept(day, "keep-daily", "1", BERLIN));
    }

    @Test
    void theSpringChangeSkipsTwoOClockInBerlinSoTheDayHasTwentyThreeHourlyBuckets() {
        // 26 March 2023 in Berlin, 00:30 CET to 23:30 CEST: 23 hourly checkpoints, no 02:30
        List<Candidate> day = every(3600, "2023-03-25T23:30:00Z", "2023-03-26T22:00:00Z");
        assertEquals(23, day.size());
        assertEquals(23, kept(day, "keep-hourly", "-1", BERLIN).size());
        assertEquals(List.of(Instant.parse("2023-03-26T21:30:00Z")), kept(day, "keep-daily", "1", BERLIN));
        // in UTC the same checkpoints span two days
        assertEquals(List.of(Instant.parse("2023-03-26T21:30:00Z"), Instant.parse("2023-03-25T23:30:00Z")),
                kept(day, "keep-daily", "2", ZoneOffset.UTC));
    }

    @Test
    void dailyBucketsAcrossTheAutumnChangeFollowTheLocalDay() {
        List<Candidate> night = every(3600, "2023-10-28T21:30:00Z", "2023-10-29T05:00:00Z");
        // Berlin: 23:30 CEST on the 28th, then the 29th from 00:30 CEST to 05:30 CET
        assertEquals(List.of(Instant.parse("2023-10-29T04:30:00Z"), Instant.parse("2023-10-28T21:30:00Z")),
                kept(night, "keep-daily", "-1", BERLIN));
        // UTC: 21:30 to 23:30 on the 28th, 00:30 to 04:30 on the 29th; the oldest is kept as well
        Map<Instant, List<String>> utc = RetentionPlan.compute(night, RetentionPolicy.of("keep-daily", "-1"),
                ZoneOffset.UTC).kept().stream().collect(Collectors.toMap(d -> d.candidate().takenAt(), Decision::reasons));
        assertEquals(Map.of(
                Instant.parse("2023-10-29T04:30:00Z"), List.of("daily snapshot"),
                Instant.parse("2023-10-28T23:30:00Z"), List.of("daily snapshot"),
                Instant.parse("2023-10-28T21:30:00Z"), List.of("oldest daily snapshot")), utc);
    }

    @Test
    void aMonthEndsAnHourEarlierInBerlinInWinter() {
        List<Candidate> c = atTimes("2023-01-31T22:30:00Z", "2023-01-31T23:30:00Z", "2023-02-15T12:00:00Z");
        // 23:30Z on 31 January is 00:30 on 1 February in Berlin
        assertEquals(List.of(Instant.parse("2023-02-15T12:00:00Z"), Instant.parse("2023-01-31T22:30:00Z")),
                kept(c, "keep-monthly", "2", BERLIN));
        assertEquals(List.of(Instant.parse("2023-02-15T12:00:00Z"), Instant.parse("2023-01-31T23:30:00Z")),
                kept(c, "keep-monthly", "2", ZoneOffset.UTC));
    }

    @Test
    void aMonthEndsTwoHoursEarlierInBerlinInSummer() {
        List<Candidate> c = atTimes("2023-06-30T21:30:00Z", "2023-06-30T22:30:00Z", "2023-07-10T12:00:00Z");
        // 22:30Z on 30 June is 00:30 CEST on 1 July
        assertEquals(List.of(Instant.parse("2023-07-10T12:00:00Z"), Instant.parse("2023-06-30T21:30:00Z")),
                kept(c, "keep-monthly", "2", BERLIN));
    }

    @Test
    void aYearEndsAnHourEarlierInBerlin() {
        List<Candidate> c = atTimes("2022-12-31T22:30:00Z", "2022-12-31T23:30:00Z", "2023-06-01T12:00:00Z");
        assertEquals(List.of(Instant.parse("2023-06-01T12:00:00Z"), Instant.parse("2022-12-31T22:30:00Z")),
                kept(c, "keep-yearly", "2", BERLIN));
        assertEquals(List.of(Instant.parse("2023-06-01T12:00:00Z"), Instant.parse("2022-12-31T23:30:00Z")),
                kept(c, "keep-yearly", "2", ZoneOffset.UTC));
    }

    @Test
    void weeksAreIsoWeeksSoTheNewYearCanFallInsideOne() {
        // Monday 28 December 2015 to Sunday 3 January 2016 is 2015-W53; Monday 4 January starts 2016-W01
        List<Candidate> c = atTimes("2015-12-28T12:00:00Z", "2015-12-31T12:00:00Z", "2016-01-03T12:00:00Z",
                "2016-01-04T12:00:00Z");
        Map<Instant, List<String>> why = RetentionPlan.compute(c, RetentionPolicy.of("keep-weekly", "-1"),
                ZoneOffset.UTC).decisions().stream().collect(Collectors.toMap(d -> d.candidate().takenAt(),
                Decision::reasons));
        assertEquals(List.of("weekly snapshot"), why.get(Instant.parse("2016-01-04T12:00:00Z")));
        assertEquals(List.of("weekly snapshot"), why.get(Instant.parse("2016-01-03T12:00:00Z")));
        assertEquals(List.of(), why.get(Instant.parse("2015-12-31T12:00:00Z")));
        assertEquals(List.of("oldest weekly snapshot"), why.get(Instant.parse("2015-12-28T12:00:00Z")));
    }

    @Test
    void sundayNightInUtcIsAlreadyMondayInBerlin() {
        List<Candidate> c = atTimes("2016-01-03T22:30:00Z", "2016-01-03T23:30:00Z");
        assertEquals(List.of(Instant.parse("2016-01-03T23:30:00Z"), Instant.parse("2016-01-03T22:30:00Z")),
                kept(c, "keep-weekly", "2", BERLIN));
        assertEquals(List.of(Instant.parse("2016-01-03T23:30:00Z")), kept(c, "keep-weekly", "1", ZoneOffset.UTC));
    }

    @Test
    void keepWithinOneDayAcrossTheAutumnChangeReachesTwentyFiveHoursBackInBerlin() {
        List<Candidate> c = atTimes("2023-10-28T11:30:00Z", "2023-10-29T12:00:00Z");
        assertEquals(2, kept(c, "keep-within", "1d", BERLIN).size());
        assertEquals(1, kept(c, "keep-within", "1d", ZoneOffset.UTC).size());
    }

    @Test
    void keepWithinAMonthFromTheThirtyFirstOfMarchStopsAtTheThirdAsResticDoes() {
        List<Candidate> c = atTimes("2023-03-01T12:00:00Z", "2023-03-03T12:00:00Z", "2023-03-03T12:00:01Z",
                "2023-03-31T12:00:00Z");
        // 31 March less a month is "31 February", which Go normalises to 3 March; "within" is strictly after
        assertEquals(List.of(Instant.parse("2023-03-31T12:00:00Z"), Instant.parse("2023-03-03T12:00:01Z")),
                kept(c, "keep-within", "1m", ZoneOffset.UTC));
    }
}
