package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.alert.Alerts;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The upload reserve raises the disk-reserve alert when it refuses, and a query-time refresh sees it too. */
final class FreeSpaceReserveTest {
    @TempDir
    Path dir;

    @Test
    void refusedUploadRaisesTheReserveAlertOnce() throws Exception {
        Alerts alerts = new Alerts();
        FreeSpaceReserve reserve = new FreeSpaceReserve(dir, Long.MAX_VALUE, alerts);

        StoreException.NoSpace e = assertThrows(StoreException.NoSpace.class, reserve::check);
        assertTrue(e.getMessage().startsWith("disk full: only "), e.getMessage());
        assertThrows(StoreException.NoSpace.class, reserve::check);

        assertEquals(1, alerts.active().size());
        Alerts.Alert a = alerts.active().get(0);
        assertEquals(Alerts.DISK_RESERVE, a.key());
        assertEquals(Alerts.Severity.CRITICAL, a.severity());
        assertTrue(a.message().startsWith("uploads are refused: only ") && a.message().contains("--reserve"), a.message());
    }

    @Test
    void refreshRaisesBelowTheReserveAndClearsAboveIt() throws Exception {
        Alerts alerts = new Alerts();
        new FreeSpaceReserve(dir, Long.MAX_VALUE, alerts).refresh();
        assertTrue(alerts.isActive(Alerts.DISK_RESERVE), "below the reserve without any upload");

        FreeSpaceReserve none = new FreeSpaceReserve(dir, 0, alerts);
        none.refresh();
        assertFalse(alerts.isActive(Alerts.DISK_RESERVE), "a reserve of 0 is always met");
        assertDoesNotThrow(() -> none.check());
    }
}
