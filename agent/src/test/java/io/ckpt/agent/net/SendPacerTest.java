package io.ckpt.agent.net;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SendPacerTest {
    @Test
    void sendingPastTheBurstTakesAtLeastTheBytesOverTheRate() throws Exception {
        long rate = 8L << 20; // burst: 1 MiB (a tenth of a second is less)
        SendPacer p = new SendPacer(rate);
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            p.take(1 << 20);
        }
        long elapsed = System.nanoTime() - start;
        // 5 MiB at 8 MiB/s, less the 1 MiB burst: at least half a second, whatever the machine.
        assertTrue(elapsed >= 500_000_000L, "5 MiB at 8 MiB/s took only " + elapsed / 1_000_000 + " ms");
        assertTrue(p.sleptNanos() >= 450_000_000L, "slept " + p.sleptNanos() / 1_000_000 + " ms");
    }

    @Test
    void aRateOfZeroIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SendPacer(0));
    }
}
