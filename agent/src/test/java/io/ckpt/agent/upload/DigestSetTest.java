package io.ckpt.agent.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The delta client's set of digests known to be present: a set, through growth, up to its cap. */
final class DigestSetTest {
    @Test
    void holdsWhatWasAddedThroughSeveralGrowthsAndNothingElse() {
        Random r = new Random(11);
        DigestSet set = new DigestSet(1 << 14);
        Set<String> added = new HashSet<>();
        byte[] batch = new byte[32 * 10_000];
        r.nextBytes(batch);
        for (int i = 0; i < 10_000; i++) {
            assertTrue(set.add(batch, i * 32));
            added.add(HexFormat.of().formatHex(batch, i * 32, i * 32 + 32));
        }
        assertEquals(10_000, set.size());
        for (int i = 0; i < 10_000; i++) {
            assertTrue(set.contains(batch, i * 32), "digest " + i);
            assertFalse(set.add(batch, i * 32), "added twice: " + i);
        }
        byte[] other = new byte[32];
        for (int i = 0; i < 10_000; i++) {
            r.nextBytes(other);
            assertEquals(added.contains(HexFormat.of().formatHex(other)), set.contains(other, 0));
        }
    }

    @Test
    void digestsSharingTheirFirstBytesAreToldApart() {
        DigestSet set = new DigestSet(1 << 10);
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        b[31] = 1; // same slot, different digest
        assertTrue(set.add(a, 0));
        assertFalse(set.contains(b, 0));
        assertTrue(set.add(b, 0));
        assertTrue(set.contains(a, 0) && set.contains(b, 0));
        assertEquals(2, set.size());
    }

    @Test
    void aFullSetRefusesMoreAndStillAnswers() {
        DigestSet set = new DigestSet(4);
        byte[] d = new byte[32 * 5];
        new Random(3).nextBytes(d);
        for (int i = 0; i < 4; i++) {
            assertTrue(set.add(d, i * 32));
        }
        assertTrue(set.isFull());
        assertFalse(set.add(d, 4 * 32), "beyond the cap: asked about instead");
        assertFalse(set.contains(d, 4 * 32));
        assertTrue(set.contains(d, 3 * 32));
    }
}
