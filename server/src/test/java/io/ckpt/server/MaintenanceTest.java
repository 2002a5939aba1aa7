package io.ckpt.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** verify-damage clears only after clean scheduled runs that together read every pack again. */
final class MaintenanceTest {
    @Test
    void cleanRunsToClearVerifyDamageCoverEveryPack() {
        assertEquals(1, Maintenance.cleanRunsToClear(100));
        assertEquals(2, Maintenance.cleanRunsToClear(50));
        assertEquals(3, Maintenance.cleanRunsToClear(34));
        assertEquals(10, Maintenance.cleanRunsToClear(10));
        assertEquals(100, Maintenance.cleanRunsToClear(1));
    }
}
