package io.ckpt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

/**
 * {@code --at} and {@code --taken-at} values against a fixed clock in Europe/Berlin, which changed
 * to summer time on 2026-03-29 (02:00 CET became 03:00 CEST, at 01:00Z) and back on 2026-10-25
 * (03:00 CEST became 02:00 CET, at 01:00Z).
 */
class TimeArgumentTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static Instant at(String nowUtc, String value) throws CliException {
        return TimeArgument.parse("--at", value, Clock.fixed(Instant.parse(nowUtc), BERLIN));
    }

    private static void assertAt(String expectedUtc, String nowUtc, String value) throws CliException {
        assertEquals(Instant.parse(expectedUtc), at(nowUtc, value), () -> "'" + value + "' at " + nowUtc);
    }

    @Test
    void isoWithZoneOrOffsetIsThatInstantAndWithoutOneIsLocalTime() throws CliException {
        String now = "2026-11-26T10:00:00Z";
        assertAt("2026-11-26T14:00:00Z", now, "2026-11-26T14:00:00Z");
        assertAt("2026-11-26T13:00:00Z", now, "2026-11-26T14:00:00+01:00");
        assertAt("2026-11-26T13:00:00Z", now, "2026-11-26T14:00:00");
        assertAt("2026-07-01T12:00:00Z", now, "2026-07-01T14:00"); // summer: +02:00; seconds may be left out
        assertAt("2026-11-26T13:00:00.250Z", now, "2026-11-26T14:00:00.250");
    }

    @Test
    void nowAndDurationsAgoCountBackFromTheClock() throws CliException {
        String now = "2026-11-26T10:00:00Z";
        assertAt(now, now, "now");
        assertAt(now, now, " NOW ");
        assertAt("2026-11-26T09:30:00Z", now, "30m ago");
        assertAt("2026-11-26T08:00:00Z", now, "2h ago");
        assertAt("2026-11-26T07:30:00Z", now, "2h30m ago");
        assertAt("2026-11-26T09:58:30Z", now, "90s ago");
        assertAt("2026-11-23T10:00:00Z", now, "3d ago");
        assertAt(now, now, "0s ago");
    }

    @Test
    void todayAndYesterdayAreLocalDatesAndTimes() throws CliException {
        assertAt("2026-11-26T07:30:00Z", "2026-11-26T10:00:00Z", "today 08:30");
        assertAt("2026-11-25T13:00:00Z", "2026-11-26T10:00:00Z", "yesterday 14:00");
        assertAt("2026-11-25T13:00:05Z", "2026-11-26T10:00:00Z", "Yesterday 14:00:05");
        assertAt("2026-11-26T07:05:00Z", "2026-11-26T10:00:00Z", "today 8:05");
        // 23:30Z is already the 27th in Berlin: "today" is the local date, not the UTC one.
        assertAt("2026-11-27T07:00:00Z", "2026-11-26T23:30:00Z", "today 08:00");
        assertAt("2026-11-26T07:00:00Z", "2026-11-26T23:30:00Z", "yesterday 08:00");
        assertAt("2026-12-30T23:00:00Z", "2027-01-01T10:00:00Z", "yesterday 00:00");
    }

    @Test
    void daylightSavingChangeUsesEachDatesOwnOffset() throws CliException {
        String dayAfterSpringChange = "2026-03-30T10:00:00Z"; // 12:00 CEST
        assertAt("2026-03-30T06:30:00Z", dayAfterSpringChange, "today 08:30"); // CEST, +02:00
        assertAt("2026-03-29T12:00:00Z", dayAfterSpringChange, "yesterday 14:00"); // after the change: CEST
        assertAt("2026-03-28T13:00:00Z", "2026-03-29T10:00:00Z", "yesterday 14:00"); // before it: CET, +01:00
        assertAt("2026-03-29T00:30:00Z", "2026-03-29T10:00:00Z", "today 01:30"); // still CET that morning
        // Durations are exact: 2h before 04:00 CEST is 01:00 CET, and 3d is 72 hours (11:00 CET, not 12:00).
        assertAt("2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z", "2h ago");
        assertAt("2026-03-27T10:00:00Z", dayAfterSpringChange, "3d ago");
    }

    @Test
    void skippedLocalTimeMovesForwardAndRepeatedLocalTimeMeansTheEarlier() throws CliException {
        // 02:30 never happened on 2026-03-29 in Berlin: it is read as 03:30 CEST.
        assertAt("2026-03-29T01:30:00Z", "2026-03-29T10:00:00Z", "today 02:30");
        assertAt("2026-03-29T01:30:00Z", "2026-03-29T10:00:00Z", "2026-03-29T02:30:00");
        // 02:30 happened twice on 2026-10-25: first in CEST (00:30Z), then in CET (01:30Z).
        assertAt("2026-10-25T00:30:00Z", "2026-10-25T10:00:00Z", "today 02:30");
        assertAt("2026-10-25T00:30:00Z", "2026-10-26T10:00:00Z", "yesterday 02:30");
        assertAt("2026-10-25T01:30:00Z", "2026-10-26T10:00:00Z", "2026-10-25T02:30:00+01:00");
    }

    @Test
    void badValuesNameTheOptionTheValueAndTheAcceptedForms() {
        String[][] cases = {
            {"2x ago", "'2x' is not a duration"},
            {"-2h ago", "'-2h' is not a duration"},
            {"2 h ago", "is not a time"},
            {"yesterday", "give a time of day, e.g. 'yesterday 14:00'"},
            {"today 25:00", "'25:00' is not a time of day"},
            {"today 14:60", "'14:60' is not a time of day"},
            {"today noon", "'noon' is not a time of day"},
            {"last tuesday", "is not a time"},
            {"2026-11-26 14:00", "is not a time"},
            {"", "is not a time"},
        };
        for (String[] c : cases) {
            CliException e = assertThrows(CliException.class, () -> at("2026-11-26T10:00:00Z", c[0]), c[0]);
            assertEquals(ExitCode.USAGE, e.exitCode(), c[0]);
            String m = e.getMessage();
            assertTrue(m.startsWith("--at '" + c[0] + "' is not a time"), m);
            assertTrue(m.contains(c[1]), m);
            assertTrue(m.contains("accepted: ") && m.contains("2h ago") && m.contains("yesterday 14:00")
                    && m.contains("2026-11-26T14:00:00Z"), m);
        }
    }

    @Test
    void aTimeOutsideYears1To9999IsABadArgumentNotAnOverflow() throws CliException {
        String now = "2026-11-26T10:00:00Z";
        assertAt("9999-12-31T23:59:59.999Z", now, "9999-12-31T23:59:59.999Z");
        assertAt("0001-01-01T00:00:00Z", now, "0001-01-01T00:00:00Z");
        for (String far : new String[] {"+999999999-01-01T00:00:00Z", "-999999999-01-01T00:00:00Z", "+10000-01-01T00:00:00Z",
                "1000000d ago"}) {
            CliException e = assertThrows(CliException.class, () -> at(now, far), far);
            assertEquals(ExitCode.USAGE, e.exitCode());
            assertTrue(e.getMessage().contains("between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z"), e::getMessage);
        }
    }
}
