package io.ckpt.agent.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class CronExpressionTest {
    private static Instant next(String cron, String after) {
        return CronExpression.parse(cron).nextAfter(Instant.parse(after), ZoneOffset.UTC);
    }

    @Test
    void everyFifteenMinutesRunsOnTheQuarterHours() {
        assertEquals(Instant.parse("2025-06-01T10:15:00Z"), next("*/15 * * * *", "2025-06-01T10:07:30Z"));
        assertEquals(Instant.parse("2025-06-01T10:30:00Z"), next("*/15 * * * *", "2025-06-01T10:15:00Z"));
        assertEquals(Instant.parse("2025-06-01T11:00:00Z"), next("*/15 * * * *", "2025-06-01T10:45:00Z"));
    }

    @Test
    void nextIsStrictlyAfterTheGivenInstant() {
        assertEquals(Instant.parse("2025-06-01T11:00:00Z"), next("0 * * * *", "2025-06-01T10:00:00Z"));
        assertEquals(Instant.parse("2025-06-01T10:00:00Z"), next("0 * * * *", "2025-06-01T09:59:59.999Z"));
    }

    @Test
    void listsRangesStepsAndNamesCombine() {
        CronExpression c = CronExpression.parse("5,35 8-18/2 * jan-mar,DEC mon-fri");
        assertTrue(c.matches(LocalDateTime.parse("2025-01-06T08:05")));   // Monday
        assertTrue(c.matches(LocalDateTime.parse("2025-12-05T18:35")));   // Friday
        assertFalse(c.matches(LocalDateTime.parse("2025-01-06T09:05")));  // odd hour
        assertFalse(c.matches(LocalDateTime.parse("2025-01-04T08:05")));  // Saturday
        assertFalse(c.matches(LocalDateTime.parse("2025-04-07T08:05")));  // April
    }

    @Test
    void valueWithStepRunsFromTheValueToTheEndOfTheField() {
        CronExpression c = CronExpression.parse("50/5 * * * *");
        assertTrue(c.matches(LocalDateTime.parse("2025-01-06T08:55")));
        assertFalse(c.matches(LocalDateTime.parse("2025-01-06T08:45")));
    }

    @Test
    void restrictedDayOfMonthAndDayOfWeekMatchEitherAsInVixieCron() {
        CronExpression c = CronExpression.parse("0 0 13 * fri");
        assertTrue(c.matches(LocalDateTime.parse("2025-06-13T00:00")));  // Friday the 13th
        assertTrue(c.matches(LocalDateTime.parse("2025-06-06T00:00")));  // a Friday
        assertTrue(c.matches(LocalDateTime.parse("2025-05-13T00:00")));  // a Tuesday the 13th
        assertFalse(c.matches(LocalDateTime.parse("2025-06-07T00:00")));
    }

    @Test
    void starredDayFieldMeansBothMustMatch() {
        CronExpression c = CronExpression.parse("0 0 */2 * 1");
        assertTrue(c.matches(LocalDateTime.parse("2025-06-09T00:00")));   // Monday, odd day
        assertFalse(c.matches(LocalDateTime.parse("2025-06-16T00:00")));  // Monday, even day
        assertFalse(c.matches(LocalDateTime.parse("2025-06-11T00:00")));  // odd day, Wednesday
    }

    @Test
    void sevenAndZeroAreBothSunday() {
        assertTrue(CronExpression.parse("0 0 * * 7").matches(LocalDateTime.parse("2025-06-08T00:00")));
        assertTrue(CronExpression.parse("0 0 * * 0").matches(LocalDateTime.parse("2025-06-08T00:00")));
        assertTrue(CronExpression.parse("0 0 * * 5-7").matches(LocalDateTime.parse("2025-06-08T00:00")));
    }

    @Test
    void macrosExpand() {
        assertEquals(Instant.parse("2025-06-01T11:00:00Z"), next("@hourly", "2025-06-01T10:20:00Z"));
        assertEquals(Instant.parse("2025-06-02T00:00:00Z"), next("@daily", "2025-06-01T10:20:00Z"));
        assertEquals(Instant.parse("2026-01-01T00:00:00Z"), next("@yearly", "2025-06-01T10:20:00Z"));
        assertEquals("@hourly", CronExpression.parse("@hourly").text());
    }

    @Test
    void leapDayIsFoundYearsAhead() {
        assertEquals(Instant.parse("2028-02-29T00:00:00Z"), next("0 0 29 2 *", "2025-03-01T00:00:00Z"));
    }

    @Test
    void localTimeSkippedBySpringForwardRunsJustAfterTheJump() {
        ZoneId paris = ZoneId.of("Europe/Paris");
        // 2025-03-30: 02:00 local jumps to 03:00; 02:30 does not exist and runs at 03:30 local (01:30Z).
        Instant next = CronExpression.parse("30 2 * * *").nextAfter(Instant.parse("2025-03-29T23:00:00Z"), paris);
        assertEquals(Instant.parse("2025-03-30T01:30:00Z"), next);
    }

    @Test
    void localTimeRepeatedByFallBackRunsOnce() {
        ZoneId paris = ZoneId.of("Europe/Paris");
        // 2025-10-26: 03:00 local falls back to 02:00; 02:30 happens at 00:30Z and again at 01:30Z.
        CronExpression c = CronExpression.parse("30 2 * * *");
        Instant first = c.nextAfter(Instant.parse("2025-10-25T23:00:00Z"), paris);
        assertEquals(Instant.parse("2025-10-26T00:30:00Z"), first);
        assertEquals(Instant.parse("2025-10-27T01:30:00Z"), c.nextAfter(first, paris));
    }

    /**
     * Vixie cron (cron(8)): "if the time has moved backwards by less than 3 hours, those jobs that
     * fall into the repeated time will not be re-run. Only jobs that run at a particular time (not
     * specified as @hourly, nor with '*' in the hour or minute specifier) are affected. Jobs which
     * are specified with wildcards are run based on the new time immediately." So an hourly job
     * runs in both occurrences of the repeated hour: every real hour, no two-hour gap.
     */
    @Test
    void hourlyJobRunsInBothOccurrencesOfTheRepeatedHourAsVixieCronDoes() {
        ZoneId paris = ZoneId.of("Europe/Paris");
        // 2025-10-26: 02:00 CEST (00:00Z), then 02:00 CET again (01:00Z), then 03:00 CET (02:00Z).
        for (String hourly : List.of("0 * * * *", "@hourly")) {
            CronExpression c = CronExpression.parse(hourly);
            Instant t = Instant.parse("2025-10-25T23:30:00Z");
            List<Instant> runs = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                t = c.nextAfter(t, paris);
                runs.add(t);
            }
            assertEquals(List.of(Instant.parse("2025-10-26T00:00:00Z"), Instant.parse("2025-10-26T01:00:00Z"),
                    Instant.parse("2025-10-26T02:00:00Z"), Instant.parse("2025-10-26T03:00:00Z")), runs, hourly);
        }
        // Every 20 minutes: the repeated hour's three slots run twice too.
        CronExpression every20 = CronExpression.parse("*/20 * * * *");
        assertEquals(Instant.parse("2025-10-26T01:00:00Z"), every20.nextAfter(Instant.parse("2025-10-26T00:40:00Z"), paris));
    }

    @Test
    void wrongFieldCountNamesTheFields() {
        var e = assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("0 * * *"));
        assertEquals("'0 * * *' is not a cron expression: expected 5 fields (minute hour day-of-month month day-of-week),"
                + " found 4", e.getMessage());
    }

    @Test
    void outOfRangeValueNamesFieldAndRange() {
        var e = assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("60 * * * *"));
        assertEquals("'60 * * * *' is not a cron expression: minute value 60 is out of range 0-59", e.getMessage());
    }

    @Test
    void malformedFieldsAreRejected() {
        for (String bad : new String[] {"* 5-2 * * *", "*/0 * * * *", "* * * foo *", "* * * * 8", "a * * * *", "1,,2 * * * *",
                "* * 0 * *", "-1 * * * *", "* * * * mon-"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> CronExpression.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("'" + bad + "' is not a cron expression: "), e.getMessage());
        }
    }

    @Test
    void expressionThatNeverMatchesIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("0 0 30 2 *"));
        assertTrue(e.getMessage().contains("never matches"), e.getMessage());
    }
}
