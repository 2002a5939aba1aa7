package io.ckpt.ingest;

import java.util.SplittableRandom;

/**
 * Deterministic bytes that look like a process memory image to the store: 4 KiB pages of noise
 * (compressed heap), of zeros (untouched pages), of text (strings, code) and of sparse counters
 * (tables of small integers), in a seeded random order. So chunks come out in every kind: shared
 * (zero pages), LZ4-compressed and stored plain.
 */
public final class SyntheticImage {
    private static final int PAGE = 4096;
    private static final byte[][] WORDS = words("checkpoint ", "wpar ", "memory ", "page ", "heap ", "stack ",
            "/usr/lib/libc.a ", "errno ", "SIGTERM ", "0x00000000 ");

    private SyntheticImage() {}

    public static byte[] of(long seed, int size) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(seed);
        for (int off = 0; off < size; off += PAGE) {
            int len = Math.min(PAGE, size - off);
            switch (r.nextInt(4)) {
                case 0 -> noise(r, b, off, len);
                case 1 -> { } // zeros
                case 2 -> text(r, b, off, len);
                default -> counters(r, b, off, len);
            }
        }
        return b;
    }

    /** Overwrites {@code len} bytes at {@code off} with noise: a region that changed between checkpoints. */
    public static void scribble(byte[] image, long seed, int off, int len) {
        noise(new SplittableRandom(seed), image, off, len);
    }

    private static void noise(SplittableRandom r, byte[] b, int off, int len) {
        for (int i = 0; i < len; i += 8) {
            long v = r.nextLong();
            for (int k = 0; k < 8 && i + k < len; k++) {
                b[off + i + k] = (byte) (v >>> (8 * k));
            }
        }
    }

    private static void text(SplittableRandom r, byte[] b, int off, int len) {
        int i = 0;
        while (i < len) {
            byte[] w = WORDS[r.nextInt(WORDS.length)];
            int n = Math.min(w.length, len - i);
            System.arraycopy(w, 0, b, off + i, n);
            i += n;
        }
    }

    private static void counters(SplittableRandom r, byte[] b, int off, int len) {
        for (int i = 0; i + 4 <= len; i += 16) {
            b[off + i + 3] = (byte) r.nextInt(64);
        }
    }

    private static byte[][] words(String... w) {
        byte[][] out = new byte[w.length][];
        for (int i = 0; i < w.length; i++) {
            out[i] = w[i].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
        return out;
    }
}
