package io.ckpt.server.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RestorePriorityTest {
    @Test
    void ingestWorksItsShareOnlyWhileARestoreRuns() {
        RestorePriority p = new RestorePriority(20);
        assertEquals(0, p.pauseNanos(10_000_000L), "no restore: no pause");
        p.restoreStarted();
        assertEquals(40_000_000L, p.pauseNanos(10_000_000L), "20% share: 10 ms of work, 40 ms of sleep");
        assertEquals(RestorePriority.MAX_PAUSE_MILLIS * 1_000_000L, p.pauseNanos(10_000_000_000L), "capped");
        p.restoreEnded();
        assertEquals(0, p.pauseNanos(10_000_000L));
    }

    @Test
    void aShareOfAHundredPercentTurnsThePriorityOff() {
        RestorePriority p = new RestorePriority(100);
        p.restoreStarted();
        assertEquals(0, p.pauseNanos(10_000_000L));
    }

    @Test
    void yieldingSleepsAndCountsThePause() {
        RestorePriority p = new RestorePriority(50);
        p.restoreStarted();
        p.yieldAfter(20_000_000L);
        assertEquals(1, p.ingestPauses());
        assertTrue(p.ingestPausedSeconds() >= 0.019, "paused " + p.ingestPausedSeconds() + " s");
    }

    @Test
    void sharesOutsideOneToAHundredAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RestorePriority(0));
        assertThrows(IllegalArgumentException.class, () -> new RestorePriority(101));
    }
}
