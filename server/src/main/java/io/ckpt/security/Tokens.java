package io.ckpt.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Bearer tokens: 256 random bits, written {@code ckpt_} and 64 hex digits, stored by the server only
 * as their SHA-256. A plain hash suffices (no salt, no slow KDF): the token is random and as long
 * as the hash, so there is nothing to guess from a leaked hash; a stolen catalog does not yield
 * usable tokens.
 */
public final class Tokens {
    static final String PREFIX = "ckpt_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Tokens() {}

    public static String generate() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return PREFIX + HexFormat.of().formatHex(b);
    }

    /** The SHA-256 of the token's text, as hex: what the catalog keeps. */
    public static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.strip()
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
