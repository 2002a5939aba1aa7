package io.ckpt.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Tokens: 256 random bits, hashed with SHA-256 for the catalog. */
class TokensTest {
    @Test
    void tokensAreLongRandomAndPrefixed() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String t = Tokens.generate();
            assertTrue(t.matches("ckpt_[0-9a-f]{64}"), t);
            assertTrue(seen.add(t), "no repeats");
        }
    }

    @Test
    void hashIsSha256OfTheTokenTextAndIgnoresSurroundingWhitespace() {
        // SHA-256("abc"), the FIPS 180-2 test vector.
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Tokens.hash("abc"));
        assertEquals(Tokens.hash("abc"), Tokens.hash("abc\n"), "a token file's trailing newline does not count");
        String t = Tokens.generate();
        assertNotEquals(Tokens.hash(t), Tokens.hash(t.substring(0, t.length() - 1) + "x"));
        assertEquals(64, Tokens.hash(t).length());
        assertTrue(!Tokens.hash(t).contains(t.substring(5)), "the hash does not contain the token");
    }
}
