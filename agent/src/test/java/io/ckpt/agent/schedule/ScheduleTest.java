package io.ckpt.agent.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScheduleTest {
    private static final Schedule HOURLY = new Schedule(new Cadence.Every(Duration.ofHours(1)), Duration.ZERO, List.of(), ZoneOffset.UTC);

    private static Instant at(String iso) {
        return Instant.parse(iso);
    }

    @Test
    void firstIntervalRunEverIsDueNow() {
        assertEquals(at("2025-06-01T10:37:12Z"), HOURLY.nextAfter(null, at("2025-06-01T10:37:12Z")));
    }

    @Test
    void hourlyIntervalRunsOnTheHourAfterTheFirstRun() {
        assertEquals(at("2025-06-01T11:00:00Z"), HOURLY.nextAfter(at("2025-06-01T10:37:12Z"), at("2025-06-01T10:37:13Z")));
        assertEquals(at("2025-06-01T12:00:00Z"), HOURLY.nextAfter(at("2025-06-01T11:00:00Z"), at("2025-06-01T11:20:00Z")));
    }

    @Test
    void slotNotYetReachedIsDueAtTheSlotAndPastSlotIsDueNow() {
        assertEquals(at("2025-06-01T11:00:00Z"), HOURLY.nextAfter(at("2025-06-01T10:00:00Z"), at("2025-06-01T10:59:59Z")));
        assertEquals(at("2025-06-01T11:00:00Z"), HOURLY.nextAfter(at("2025-06-01T10:00:00Z"), at("2025-06-01T11:00:00Z")));
        assertEquals(at("2025-06-01T11:00:01Z"), HOURLY.nextAfter(at("2025-06-01T10:00:00Z"), at("2025-06-01T11:00:01Z")));
    }

    @Test
    void firstCronRunEverWaitsForTheNextSlot() {
        Schedule quarter = new Schedule(new Cadence.Cron(CronExpression.parse("*/15 * * * *")), Duration.ZERO, List.of(), ZoneOffset.UTC);
        assertEquals(at("2025-06-01T10:45:00Z"), quarter.nextAfter(null, at("2025-06-01T10:37:00Z")));
        assertEquals(at("2025-06-01T11:00:00Z"), quarter.nextAfter(at("2025-06-01T10:45:00Z"), at("2025-06-01T10:45:02Z")));
    }

    @Test
    void fiveHoursOfMissedSlotsAreOneRunNowThenTheRegularCadence() {
        Instant lastRun = at("2025-06-01T10:00:00Z");
        Instant wake = at("2025-06-01T15:10:00Z");
        assertEquals(wake, HOURLY.nextAfter(lastRun, wake));
        assertEquals(at("2025-06-01T16:00:00Z"), HOURLY.nextAfter(wake, wake));
    }

    @Test
    void lastRunInTheFutureAfterTheClockWasSetBackWaitsOnlyForTheNextSlot() {
        assertEquals(at("2025-06-01T11:00:00Z"), HOURLY.nextAfter(at("2025-06-03T00:00:00Z"), at("2025-06-01T10:20:00Z")));
    }

    @Test
    void dailyIntervalIsAnchoredAtMidnightUtc() {
        Schedule daily = new Schedule(new Cadence.Every(Duration.ofDays(1)), Duration.ZERO, List.of(), ZoneOffset.UTC);
        assertEquals(at("2025-06-02T00:00:00Z"), daily.nextAfter(at("2025-06-01T17:00:00Z"), at("2025-06-01T17:00:00Z")));
    }

    @Test
    void jitterOffsetIsTheSameForTheSameSeed() {
        Duration jitter = Duration.ofMinutes(10);
        assertEquals(Schedule.jitterOffset("web01", jitter), Schedule.jitterOffset("web01", jitter));
        assertNotEquals(Schedule.jitterOffset("web01", jitter), Schedule.jitterOffset("web02", jitter));
    }

    @Test
    void jitterOffsetIsKnownForAGivenSeedSoItCannotDriftBetweenReleases() {
        assertEquals(Duration.ofSeconds(216), Schedule.jitterOffset("web01", Duration.ofMinutes(5)));
    }

    @Test
    void jitterOffsetsFallInRangeAndSpreadAcrossIt() {
        Duration jitter = Duration.ofMinutes(10);
        Set<Long> tenths = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            Duration d = Schedule.jitterOffset("wpar" + i, jitter);
            assertTrue(!d.isNegative() && d.compareTo(jitter) < 0, d.toString());
            tenths.add(d.getSeconds() / 60);
        }
        assertEquals(10, tenths.size(), "offsets should land in every minute of the jitter: " + tenths);
    }

    @Test
    void zeroJitterIsNoOffset() {
        assertEquals(Duration.ZERO, Schedule.jitterOffset("web01", Duration.ZERO));
    }

    @Test
    void jitteredHourlyRunsAtTheSameMinuteEveryHour() {
        Duration jitter = Duration.ofMinutes(10);
        Duration offset = Schedule.jitterOffset("web01", jitter);
        Schedule s = Schedule.of(new Cadence.Every(Duration.ofHours(1)), jitter, "web01", List.of(), ZoneOffset.UTC);
        Instant first = s.nextAfter(at("2025-06-01T10:30:00Z"), at("2025-06-01T10:30:00Z"));
        assertEquals(at("2025-06-01T11:00:00Z").plus(offset), first);
        assertEquals(at("2025-06-01T12:00:00Z").plus(offset), s.nextAfter(first, first));
    }

    @Test
    void jitteredCronShiftsEverySlotByTheOffset() {
        Duration jitter = Duration.ofMinutes(5);
        Duration offset = Schedule.jitterOffset("db01", jitter);
        Schedule s = Schedule.of(new Cadence.Cron(CronExpression.parse("0 * * * *")), jitter, "db01", List.of(), ZoneOffset.UTC);
        Instant first = s.nextAfter(null, at("2025-06-01T10:30:00Z"));
        assertEquals(at("2025-06-01T11:00:00Z").plus(offset), first);
        assertEquals(at("2025-06-01T12:00:00Z").plus(offset), s.nextAfter(first, first));
    }

    @Test
    void runInsideSkipWindowMovesToTheWindowEnd() {
        Schedule s = new Schedule(HOURLY.cadence(), Duration.ZERO, List.of(SkipWindow.parse("01:00-03:00")), ZoneOffset.UTC);
        assertEquals(at("2025-06-01T03:00:00Z"), s.nextAfter(at("2025-06-01T00:00:00Z"), at("2025-06-01T00:30:00Z")));
        // the 01:00, 02:00 and 03:00 slots collapse into the one run at 03:00
        assertEquals(at("2025-06-01T04:00:00Z"), s.nextAfter(at("2025-06-01T03:00:00Z"), at("2025-06-01T03:00:00Z")));
    }

    @Test
    void runDueNowInsideSkipWindowWaitsForTheWindowEnd() {
        Schedule s = new Schedule(HOURLY.cadence(), Duration.ZERO, List.of(SkipWindow.parse("01:00-03:00")), ZoneOffset.UTC);
        assertEquals(at("2025-06-01T03:00:00Z"), s.nextAfter(null, at("2025-06-01T01:45:00Z")));
    }

    @Test
    void skipWindowAcrossMidnightEndsTheNextMorning() {
        Schedule s = new Schedule(HOURLY.cadence(), Duration.ZERO, List.of(SkipWindow.parse("22:00-02:00")), ZoneOffset.UTC);
        assertEquals(at("2025-06-02T02:00:00Z"), s.nextAfter(at("2025-06-01T21:00:00Z"), at("2025-06-01T21:10:00Z")));
        assertEquals(at("2025-06-02T02:00:00Z"), s.nextAfter(null, at("2025-06-02T01:00:00Z")));
        assertEquals(at("2025-06-01T21:00:00Z"), s.nextAfter(at("2025-06-01T20:00:00Z"), at("2025-06-01T20:10:00Z")));
    }

    @Test
    void skipWindowsAreInTheScheduleZone() {
        ZoneId newYork = ZoneId.of("America/New_York");  // UTC-4 in June
        Schedule s = new Schedule(HOURLY.cadence(), Duration.ZERO, List.of(SkipWindow.parse("01:00-03:00")), newYork);
        assertEquals(at("2025-06-01T07:00:00Z"), s.nextAfter(at("2025-06-01T04:00:00Z"), at("2025-06-01T04:10:00Z")));
    }

    @Test
    void runMovedOutOfSkipWindowKeepsTheJitterOffsetSoItLandsOnASlot() {
        Duration jitter = Duration.ofMinutes(10);
        Duration offset = Schedule.jitterOffset("web01", jitter);
        Schedule s = Schedule.of(HOURLY.cadence(), jitter, "web01", List.of(SkipWindow.parse("01:00-03:00")), ZoneOffset.UTC);
        Instant moved = s.nextAfter(at("2025-06-01T00:30:00Z"), at("2025-06-01T00:40:00Z"));
        assertEquals(at("2025-06-01T03:00:00Z").plus(offset), moved);
        assertEquals(at("2025-06-01T04:00:00Z").plus(offset), s.nextAfter(moved, moved));
    }

    @Test
    void adjacentSkipWindowsChain() {
        Schedule s = new Schedule(HOURLY.cadence(), Duration.ZERO,
                List.of(SkipWindow.parse("02:00-04:00"), SkipWindow.parse("01:00-02:00")), ZoneOffset.UTC);
        assertEquals(at("2025-06-01T04:00:00Z"), s.nextAfter(at("2025-06-01T00:00:00Z"), at("2025-06-01T00:10:00Z")));
    }

    @Test
    void skipWindowsThatCoverTheWholeDayAreRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Schedule(HOURLY.cadence(), Duration.ZERO,
                List.of(SkipWindow.parse("00:00-12:00"), SkipWindow.parse("12:00-24:00")), ZoneOffset.UTC));
        assertTrue(e.getMessage().contains("cover the whole day"), e.getMessage());
    }

    @Test
    void skipWindowSyntaxErrorsSayWhatIsWrong() {
        assertEquals("'01:00' is not a skip window (use HH:MM-HH:MM, such as 01:00-03:00)",
                assertThrows(IllegalArgumentException.class, () -> SkipWindow.parse("01:00")).getMessage());
        assertEquals("skip window '25:00-03:00': '25:00' is not a time of day (00:00 to 23:59)",
                assertThrows(IllegalArgumentException.class, () -> SkipWindow.parse("25:00-03:00")).getMessage());
        assertEquals("skip window '03:00-03:00' is empty (start equals end)",
                assertThrows(IllegalArgumentException.class, () -> SkipWindow.parse("03:00-03:00")).getMessage());
        assertEquals("22:00-24:00", SkipWindow.parse("22:00-24:00").toString());
        assertEquals("09:00-17:30", SkipWindow.parse("9:00 - 17:30").toString());
    }

    /**
     * An hourly cron schedule across the autumn change (issue 20): one run per real hour, the
     * repeated hour included (Vixie cron's rule for wildcard jobs); a daily job at a time in the
     * repeated hour runs once (its rule for jobs at a particular time).
     */
    @Test
    void hourlyCronRunsEveryRealHourAcrossTheAutumnChangeAndADailyOneOnce() {
        ZoneId paris = ZoneId.of("Europe/Paris");
        Schedule hourly = new Schedule(new Cadence.Cron(CronExpression.parse("0 * * * *")), Duration.ZERO, List.of(), paris);
        Instant last = at("2025-10-25T23:00:00Z");
        List<Instant> runs = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            last = hourly.nextAfter(last, last);
            runs.add(last);
        }
        assertEquals(List.of(at("2025-10-26T00:00:00Z"), at("2025-10-26T01:00:00Z"), at("2025-10-26T02:00:00Z")), runs);

        Schedule daily = new Schedule(new Cadence.Cron(CronExpression.parse("30 2 * * *")), Duration.ZERO, List.of(), paris);
        Instant first = daily.nextAfter(at("2025-10-25T12:00:00Z"), at("2025-10-25T12:00:00Z"));
        assertEquals(at("2025-10-26T00:30:00Z"), first);
        assertEquals(at("2025-10-27T01:30:00Z"), daily.nextAfter(first, first));
    }
}
