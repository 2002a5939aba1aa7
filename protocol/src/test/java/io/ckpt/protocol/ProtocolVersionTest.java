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
        assertEquals(ProtocolVersion.MAX, ProtocolVersion.negotiate(1, ProtocolVersion.MAX + 1));
    }

    @Test
    void progressNoticesFromVersionFourOnly() {
        assertEquals(4, ProtocolVersion.negotiate(1, 4));
        assertTrue(ProtocolVersion.hasProgress(4));
        assertFalse(ProtocolVersion.hasProgress(3), "a client below version 4 hears no notices");
        assertFalse(ProtocolVersion.hasProgress(2));
    }

    @Test
    void rangesWithoutOverlapHaveNoVersion() {
        assertEquals(-1, ProtocolVersion.negotiate(ProtocolVersion.MAX + 1, ProtocolVersion.MAX + 2));
        assertEquals(-1, ProtocolVersion.negotiate(1, 1, 2, 2));
    }

    @Test
    void versionThreeRestoresInOneRoundTripAndAVersionTwoClientDoesNot() {
        assertEquals(3, ProtocolVersion.negotiate(1, 3, 1, 3));
        assertTrue(ProtocolVersion.hasRestoreSelector(3));
        assertEquals(2, ProtocolVersion.negotiate(1, 2), "a version 2 client against this server");
        assertFalse(ProtocolVersion.hasRestoreSelector(2));
        assertTrue(ProtocolVersion.hasDelta(3), "version 3 keeps delta uploads");
    }
}
