package io.ckpt.server.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HostRateLimiterTest {
    private static final long MIB = 1 << 20;

    @Test
    void aHostOverItsRateWaitsUntilItsDebtIsPaid() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        HostRateLimiter l = new HostRateLimiter(10 * MIB, now::get); // burst 0.5 MiB
        assertEquals(0, l.charge("a", MIB / 4));
        // 1 MiB more: 0.25 MiB left of the burst, 0.75 MiB of debt = 75 ms at 10 MiB/s.
        assertEquals(75_000_000L, l.charge("a", MIB));
        now.addAndGet(75_000_000L);
        assertEquals(0, l.charge("a", 0));
        assertEquals(0.075, l.throttledSeconds(), 1e-9);
    }

    @Test
    void eachHostHasItsOwnBucket() {
        AtomicLong now = new AtomicLong();
        HostRateLimiter l = new HostRateLimiter(MIB, now::get); // burst 64 KiB
        long a = l.charge("a", MIB);
        long b = l.charge("b", MIB);
        assertEquals(a, b, "b is not charged for a's bytes");
        assertEquals(a + 1e9, l.charge("a", MIB), 2, "a's second MiB adds a second at 1 MiB/s");
    }

    @Test
    void offChargesNothing() {
        HostRateLimiter l = new HostRateLimiter(0);
        assertEquals(0, l.charge("a", Long.MAX_VALUE / 2));
    }

    @Test
    void ratesParseWithBinaryUnitsPerSecond() {
        assertEquals(100 * MIB, HostRateLimiter.parse("--host-upload-rate", "100MiB/s"));
        assertEquals(512 << 10, HostRateLimiter.parse("--host-upload-rate", "512KiB/s"));
        assertEquals(0, HostRateLimiter.parse("--host-upload-rate", "off"));
        assertEquals("100MiB/s", HostRateLimiter.format(100 * MIB));
        var e = assertThrows(IllegalArgumentException.class, () -> HostRateLimiter.parse("--host-upload-rate", "100MB"));
        assertEquals("--host-upload-rate '100MB' is not a rate: use 100MiB/s, 512KiB/s (units B, KiB, MiB, GiB per second)"
                + " or 'off'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HostRateLimiter.parse("--host-upload-rate", "0MiB/s"));
    }
}
