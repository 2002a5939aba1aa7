package io.ckpt.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How durations, sizes and addresses are written in the config. */
class ValueSyntaxTest {

    @Test
    void durationsCombineUnitsLargestFirst() {
        assertEquals(Duration.ofSeconds(30), DurationSyntax.parse("30s"));
        assertEquals(Duration.ofMinutes(15), DurationSyntax.parse("15m"));
        assertEquals(Duration.ofHours(1), DurationSyntax.parse("1h"));
        assertEquals(Duration.ofMinutes(150), DurationSyntax.parse("2h30m"));
        assertEquals(Duration.ofDays(1), DurationSyntax.parse("1d"));
        assertEquals(Duration.ofSeconds(90), DurationSyntax.parse("90s"));
        assertEquals(Duration.ZERO, DurationSyntax.parse("0"));
        assertEquals(Duration.ZERO, DurationSyntax.parse("0s"));
    }

    @Test
    void durationsThatAreNotInThatFormAreRejected() {
        for (String bad : new String[] {"90x", "1h2d", "1.5h", "", "h", "10", "1 h", "-5m", "1ms", "1m1m"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> DurationSyntax.parse(bad), bad);
            assertEquals("'" + bad + "' is not a duration (use 30s, 15m, 1h, 1d)", e.getMessage());
        }
        assertEquals("'99999999999999999999d' is too long a duration",
                assertThrows(IllegalArgumentException.class, () -> DurationSyntax.parse("99999999999999999999d")).getMessage());
    }

    @Test
    void durationsFormatAsTheyAreWritten() {
        assertEquals("2h30m", DurationSyntax.format(Duration.ofMinutes(150)));
        assertEquals("1d1s", DurationSyntax.format(Duration.ofSeconds(86_401)));
        assertEquals("0s", DurationSyntax.format(Duration.ZERO));
    }

    @Test
    void sizesUseBinaryUnits() {
        assertEquals(512L << 20, ByteSize.parse("512MiB").bytes());
        assertEquals(10L << 30, ByteSize.parse("10GiB").bytes());
        assertEquals(4096, ByteSize.parse("4096B").bytes());
        assertEquals(2L << 40, ByteSize.parse("2TiB").bytes());
        assertEquals("10GiB", ByteSize.parse("10GiB").toString());
        assertEquals("1536MiB", ByteSize.parse("1536MiB").toString());
        assertEquals("0B", new ByteSize(0).toString());
    }

    @Test
    void sizesWithoutABinaryUnitAreRejected() {
        for (String bad : new String[] {"10GB", "10", "1.5GiB", "GiB", "10gib", "-1KiB"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(bad), bad);
            assertEquals("'" + bad + "' is not a size (use 512MiB, 10GiB; units B, KiB, MiB, GiB, TiB)", e.getMessage());
        }
        assertEquals("'9999999TiB' is too large a size",
                assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("9999999TiB")).getMessage());
    }

    @Test
    void endpointsAreHostColonPortWithBracketsForIpv6() {
        assertEquals(new Endpoint("127.0.0.1", 7420), Endpoint.parse("127.0.0.1:7420"));
        assertEquals(new Endpoint("backup.example.net", 7420), Endpoint.parse("backup.example.net:7420"));
        assertEquals(new Endpoint("::1", 7430), Endpoint.parse("[::1]:7430"));
        assertEquals("[::1]:7430", Endpoint.parse("[::1]:7430").toString());
        assertEquals("backup:1", Endpoint.parse("backup:1").toString());
    }

    @Test
    void endpointsWithoutHostOrPortAreRejected() {
        for (String bad : new String[] {"backup", ":7420", "backup:", "::1:7420", "backup:http", "a b:1"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(bad), bad);
            assertEquals("'" + bad + "' is not HOST:PORT (such as 127.0.0.1:7420, or [::1]:7420)", e.getMessage());
        }
        assertEquals("'backup:70000': port 70000 is out of range 1..65535",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("backup:70000")).getMessage());
    }
}
