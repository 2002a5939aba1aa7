package io.ckpt.fuzz;

import java.util.Arrays;
import java.util.Random;

/**
 * Damage done to a valid encoding, the way a fuzzer would: bit flips, truncation, inserted,
 * deleted and duplicated bytes, and length-like fields overwritten with extreme values.
 */
public final class Mutations {
    /** Values that break length and count fields: zero, one, sign bits, all ones. */
    private static final long[] EXTREMES = {0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFFL,
        0x8000_0000L, 0xFFFF_FFFFL, 0x7FFF_FFFF_FFFF_FFFFL, 0x8000_0000_0000_0000L, -1L};

    private Mutations() {}

    /** {@code count} random mutations of {@code valid}, chosen by {@code random}. */
    public static byte[] mutate(byte[] valid, Random random, int count) {
        byte[] b = valid.clone();
        for (int i = 0; i < count; i++) {
            b = mutateOnce(b, random);
        }
        return b;
    }

    private static byte[] mutateOnce(byte[] b, Random r) {
        if (b.length == 0) {
            return new byte[] {(byte) r.nextInt(256)};
        }
        int at = r.nextInt(b.length);
        switch (r.nextInt(7)) {
            case 0 -> { // flip one bit
                b[at] ^= (byte) (1 << r.nextInt(8));
                return b;
            }
            case 1 -> { // truncate
                return Arrays.copyOf(b, at);
            }
            case 2 -> { // insert random bytes
                byte[] extra = new byte[1 + r.nextInt(8)];
                r.nextBytes(extra);
                return splice(b, at, 0, extra);
            }
            case 3 -> { // delete a few bytes
                return splice(b, at, Math.min(b.length - at, 1 + r.nextInt(8)), new byte[0]);
            }
            case 4 -> { // duplicate a range
                int n = Math.min(b.length - at, 1 + r.nextInt(64));
                return splice(b, at, 0, Arrays.copyOfRange(b, at, at + n));
            }
            case 5 -> { // overwrite a 1, 2, 4 or 8 byte big-endian field with an extreme value
                int width = 1 << r.nextInt(4);
                long v = EXTREMES[r.nextInt(EXTREMES.length)];
                for (int i = 0; i < width && at + i < b.length; i++) {
                    b[at + i] = (byte) (v >>> (8 * (width - 1 - i)));
                }
                return b;
            }
            default -> { // set a byte to a random value
                b[at] = (byte) r.nextInt(256);
                return b;
            }
        }
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }
}
