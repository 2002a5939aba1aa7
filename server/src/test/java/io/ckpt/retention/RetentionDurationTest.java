package io.ckpt.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** keep-within spans: restic's syntax, and restic's way of counting back (Go's AddDate). */
final class RetentionDurationTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @ParameterizedTest
    @CsvSource({
        "1y2m3d4h, 1, 2, 3, 4, 1y2m3d4h",
        "30d, 0, 0, 30, 0, 30d",
        "12h, 0, 0, 0, 12, 12h",
        "1y1d1m, 1, 1, 1, 0, 1y1m1d",
        "' 2m2h ', 0, 2, 0, 2, 2m2h",
        "9999y, 9999, 0, 0, 0, 9999y",
        "0d, 0, 0, 0, 0, 0h",
    })
    void parsesResticSpansInAnyOrderAndPrintsThemAsResticDoes(String text, int y, int m, int d, int h, String printed) {
        RetentionDuration span = RetentionDuration.parse("keep-within", text);
        assertEquals(new RetentionDuration(y, m, d, h), span);
        assertEquals(printed, span.toString());
    }

    @Test
    void zeroSpanIsOff() {
        assertTrue(RetentionDuration.parse("keep-within", "0d").isZero());
        assertTrue(RetentionDuration.ZERO.isZero());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "3x     | keep-within: '3x' is not a duration (unknown unit 'x'; use e.g. 1y2m3d4h: y years, m months, d days, h hours)",
        "-1d    | keep-within: '-1d' is not a duration (negative durations are not allowed; use e.g. 1y2m3d4h: y years, m months, d days, h hours)",
        "30     | keep-within: '30' is not a duration (no unit after 30; use e.g. 1y2m3d4h: y years, m months, d days, h hours)",
        "d      | keep-within: 'd' is not a duration (expected a number at 'd'; use e.g. 1y2m3d4h: y years, m months, d days, h hours)",
        "1d2d   | keep-within: '1d2d' is not a duration (unit 'd' given twice; use e.g. 1y2m3d4h: y years, m months, d days, h hours)",
        "1M     | keep-within: '1M' is not a duration (unknown unit 'M'; use e.g. 1y2m3d4h: y years, m months, d days, h hours)",
        "1d 2h  | keep-within: '1d 2h' is not a duration (expected a number at ' 2h'; use e.g. 1y2m3d4h: y years, m months, d days, h hours)",
        "99999999999d | keep-within: '99999999999d' is not a duration (99999999999 is too large; use e.g. 1y2m3d4h: y years, m months, d days, h hours)",
    })
    void unparsableSpanIsAClearError(String text, String message) {
        InvalidPolicyException e = assertThrows(InvalidPolicyException.class,
                () -> RetentionDuration.parse("keep-within", text));
        assertEquals(message, e.getMessage());
    }

    @Test
    void emptySpanIsAnError() {
        assertThrows(InvalidPolicyException.class, () -> RetentionDuration.parse("keep-within-daily", " "));
    }

    @ParameterizedTest
    @CsvSource({
        // newest,                  span,      threshold (UTC)
        "2016-01-18T12:02:03Z,      1d,        2016-01-17T12:02:03Z",
        "2016-01-18T12:02:03Z,      1y2m3d3h,  2014-11-15T09:02:03Z",
        "2023-03-31T12:00:00Z,      1m,        2023-03-03T12:00:00Z", // "31 February" 2023 is 3 March
        "2024-03-31T12:00:00Z,      1m,        2024-03-02T12:00:00Z", // "31 February" 2024 is 2 March
        "2024-02-29T12:00:00Z,      1y,        2023-03-01T12:00:00Z", // "29 February" 2023 is 1 March
        "2023-05-31T00:00:00Z,      1m1d,      2023-04-30T00:00:00Z", // months and days together: 30 April
        "2023-03-01T05:00:00Z,      6h,        2023-02-28T23:00:00Z",
    })
    void countsBackAsResticDoesInUtc(Instant newest, String span, Instant threshold) {
        assertEquals(threshold, RetentionDuration.parse("keep-within", span).countBackFrom(newest, ZoneOffset.UTC));
    }

    @Test
    void aDayBackAcrossTheAutumnChangeInBerlinIsTwentyFiveHours() {
        Instant newest = Instant.parse("2023-10-29T12:00:00Z"); // 13:00 CET
        assertEquals(Instant.parse("2023-10-28T11:00:00Z"), // 13:00 CEST
                RetentionDuration.parse("keep-within", "1d").countBackFrom(newest, BERLIN));
    }

    @Test
    void aRepeatedWallTimeResolvesToTheLaterInstantAsGoDoes() {
        Instant newest = Instant.parse("2023-10-30T01:30:00Z"); // 02:30 CET on 30 October
        // 02:30 on 29 October happened twice (00:30Z CEST and 01:30Z CET): Go's time.Date picks 01:30Z
        assertEquals(Instant.parse("2023-10-29T01:30:00Z"),
                RetentionDuration.parse("keep-within", "1d").countBackFrom(newest, BERLIN));
    }

    @Test
    void aSkippedWallTimeMovesForwardAnHourAsGoDoes() {
        Instant newest = Instant.parse("2023-03-27T00:30:00Z"); // 02:30 CEST on 27 March
        // 02:30 on 26 March never happened; Go's time.Date gives 03:30 CEST = 01:30Z
        assertEquals(Instant.parse("2023-03-26T01:30:00Z"),
                RetentionDuration.parse("keep-within", "1d").countBackFrom(newest, BERLIN));
    }

    @Test
    void hoursAreElapsedTimeNotWallTime() {
        Instant newest = Instant.parse("2023-10-29T03:00:00Z"); // 04:00 CET
        assertEquals(Instant.parse("2023-10-29T00:00:00Z"), // 02:00 CEST: three real hours back
                RetentionDuration.parse("keep-within", "3h").countBackFrom(newest, BERLIN));
    }

    @Test
    void aSpanBeyondTheRepresentablePastCoversEverything() {
        RetentionDuration huge = RetentionDuration.parse("keep-within", Integer.MAX_VALUE + "y");
        assertEquals(Instant.MIN, huge.countBackFrom(Instant.parse("2016-01-18T12:02:03Z"), ZoneOffset.UTC));
        RetentionDuration days = RetentionDuration.parse("keep-within", Integer.MAX_VALUE + "d" + Integer.MAX_VALUE + "h");
        assertTrue(days.countBackFrom(Instant.parse("2016-01-18T12:02:03Z"), ZoneOffset.UTC)
                .isBefore(Instant.parse("0001-01-01T00:00:00Z")));
    }
}
