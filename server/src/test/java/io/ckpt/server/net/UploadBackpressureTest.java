package io.ckpt.server.net;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The upload bytes waiting for the ingest worker decide whether the socket is read (docs/PROTOCOL.md, "Backpressure"). */
class UploadBackpressureTest {
    private static final int MIB = 1 << 20;

    private static Fairness fairness(RestorePriority priority) {
        return new Fairness(new UploadSlots(16, 256), Duration.ofSeconds(300), priority, new HostRateLimiter(0));
    }

    @Test
    void theSocketIsLeftUnreadAbove16MiBWaitingAndReadAgainBelow4MiB() {
        EmbeddedChannel ch = new EmbeddedChannel();
        UploadBackpressure b = new UploadBackpressure(fairness(new RestorePriority(50)), ch, new ReadGate(ch), () -> "h");
        for (int i = 0; i < 16; i++) {
            b.arrived(MIB);
        }
        assertTrue(ch.config().isAutoRead(), "16 MiB waiting: still read");
        b.arrived(1);
        assertFalse(ch.config().isAutoRead(), "over 16 MiB waiting: not read");
        for (int i = 0; i < 12; i++) {
            b.drained(MIB);
        }
        assertFalse(ch.config().isAutoRead(), "4 MiB and a byte still waiting: not read yet");
        b.drained(2);
        assertTrue(ch.config().isAutoRead(), "below 4 MiB: read again");
        ch.finishAndReleaseAll();
    }

    @Test
    void whileARestoreRunsTheBacklogIsKeptTo4MiB() {
        EmbeddedChannel ch = new EmbeddedChannel();
        RestorePriority priority = new RestorePriority(50);
        UploadBackpressure b = new UploadBackpressure(fairness(priority), ch, new ReadGate(ch), () -> "h");
        priority.restoreStarted();
        b.arrived(4 * MIB + 1);
        assertFalse(ch.config().isAutoRead(), "over 4 MiB while a restore runs: not read");
        b.drained(2 * MIB);
        assertFalse(ch.config().isAutoRead(), "2 MiB and a byte waiting: not yet");
        b.drained(2);
        assertTrue(ch.config().isAutoRead(), "below 2 MiB while a restore runs: read again");
        priority.restoreEnded();
        ch.finishAndReleaseAll();
    }
}
