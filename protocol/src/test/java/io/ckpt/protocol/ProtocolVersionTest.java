package io.ckpt.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The handshake's choice: the highest version both ranges hold, or none. */
final class ProtocolVersionTest {
    @Test
    void bothSidesAtVersionTwoSpeakTwo() {
        assertEquals(2, ProtocolVersion.negotiate(1, 2));
        assertTrue(ProtocolVersion.hasDelta(2));
    }

    @Test
    void oneVersionApartEitherWaySpeaksOneWithoutDelta() {
        assertEquals(1, ProtocolVersion.negotiate(1, 1), "a version 1 client against this server");
        assertEquals(1, ProtocolVersion.negotiate(1, 1, 1, 2), "this client against a server held to version 1");
        assertFalse(ProtocolVersion.hasDelta(1));
    }

    @Test
    void clientAheadOfTheServerGetsTheServersHighest() {
        assertEquals(2, ProtocolVersion.negotiate(1, 5));
    }

    @Test
    void rangesWithoutOverlapHaveNoVersion() {
        assertEquals(-1, ProtocolVersion.negotiate(3, 4));
        assertEquals(-1, ProtocolVersion.negotiate(1, 1, 2, 2));
    }
}
