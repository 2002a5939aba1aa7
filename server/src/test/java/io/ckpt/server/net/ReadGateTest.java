package io.ckpt.server.net;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class ReadGateTest {
    @Test
    void theSocketIsReadOnlyWhileNoReasonHoldsIt() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ReadGate gate = new ReadGate(ch);
        gate.hold(ReadGate.BACKLOG);
        gate.hold(ReadGate.RATE);
        assertFalse(ch.config().isAutoRead());
        gate.release(ReadGate.BACKLOG);
        assertFalse(ch.config().isAutoRead(), "the rate still holds it");
        assertTrue(gate.holds(ReadGate.RATE));
        gate.release(ReadGate.RATE);
        assertTrue(ch.config().isAutoRead());
        ch.finishAndReleaseAll();
    }

    @Test
    void aFailedConnectionIsReadForGoodWhateverHolds() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ReadGate gate = new ReadGate(ch);
        gate.hold(ReadGate.BEGIN);
        gate.openForGood();
        assertTrue(ch.config().isAutoRead());
        gate.hold(ReadGate.RATE);
        assertTrue(ch.config().isAutoRead(), "it only drains now");
        ch.finishAndReleaseAll();
    }
}
