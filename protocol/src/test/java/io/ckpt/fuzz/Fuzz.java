package io.ckpt.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Runs a fuzz property on plain JUnit 5 (docs/TESTING.md): {@link #tries()} inputs drawn from a
 * {@link Random} seeded with {@link #seed()}, each handed to a check. The default suite makes
 * {@value #DEFAULT_TRIES} tries from the fixed seed {@value #DEFAULT_SEED}, so every run tries the
 * same inputs; {@code -Dfuzz.tries=N} runs longer and {@code -Dfuzz.seed=random} (printed) or a
 * number explores other inputs.
 *
 * <p>The first failing input stops the property: its bytes are printed as hex and written to
 * {@code target/fuzz-failures/<property>/}, ready to be added to the corpus ({@link Corpus}), and
 * the failure names the seed and the try so that the run can be repeated.
 */
public final class Fuzz {
    public static final int DEFAULT_TRIES = 300;
    public static final long DEFAULT_SEED = 20261126L;
    private static final HexFormat HEX = HexFormat.of();
    /** Byte values that sit on sign and width boundaries, drawn more often than chance would. */
    private static final byte[] EDGE_BYTES = {0, 1, 0x7F, (byte) 0x80, (byte) 0xFF};
    private static final long SEED = chooseSeed();

    private Fuzz() {}

    /** Tries per property: {@code -Dfuzz.tries}, else {@value #DEFAULT_TRIES}. */
    public static int tries() {
        return Integer.getInteger("fuzz.tries", DEFAULT_TRIES);
    }

    /** The seed every property of this JVM starts from: {@code -Dfuzz.seed}, else {@value #DEFAULT_SEED}. */
    public static long seed() {
        return SEED;
    }

    private static long chooseSeed() {
        String s = System.getProperty("fuzz.seed", Long.toString(DEFAULT_SEED)).strip();
        if (!s.equals("random")) {
            return Long.parseLong(s);
        }
        long seed = new Random().nextLong();
        System.out.println("fuzz: -Dfuzz.seed=random chose seed " + seed + " (-Dfuzz.seed=" + seed + " repeats it)");
        return seed;
    }

    /**
     * Draws {@link #tries()} inputs from {@code generator} and passes each to {@code check} with
     * the try's own {@link Random} (for choices that are not part of the bytes, such as how the
     * input is split). A check fails by throwing; the input is then reported and saved.
     */
    public static void forAll(String property, Function<Random, byte[]> generator, BiConsumer<byte[], Random> check) {
        Random master = new Random(SEED);
        int tries = tries();
        for (int i = 0; i < tries; i++) {
            Random r = new Random(master.nextLong());
            byte[] input = generator.apply(r);
            try {
                check.accept(input, r);
            } catch (Throwable t) {
                Path saved = save(property, i, input);
                String where = property + " failed at try " + (i + 1) + " of " + tries + " (-Dfuzz.seed=" + SEED
                        + " -Dfuzz.tries=" + tries + " repeats it) on " + input.length + " bytes, saved to " + saved
                        + ": " + HEX.formatHex(input);
                System.out.println("fuzz: " + where);
                throw new AssertionError(where + "\n" + t, t);
            }
        }
    }

    /**
     * Arbitrary bytes, at most {@code maxLength}: often short, whatever the limit, since short
     * inputs reach the decoders' edge cases; now and then made only of boundary values.
     */
    public static byte[] bytes(Random r, int maxLength) {
        int length = r.nextInt(4) == 0 ? r.nextInt(Math.min(maxLength, 16) + 1) : r.nextInt(maxLength + 1);
        byte[] b = new byte[length];
        if (r.nextInt(8) == 0) {
            for (int i = 0; i < length; i++) {
                b[i] = EDGE_BYTES[r.nextInt(EDGE_BYTES.length)];
            }
        } else {
            r.nextBytes(b);
        }
        return b;
    }

    /** An int between {@code min} and {@code max}, both included. */
    public static int between(Random r, int min, int max) {
        return min + r.nextInt(max - min + 1);
    }

    private static Path save(String property, int attempt, byte[] input) {
        Path dir = Path.of(System.getProperty("basedir", "."), "target", "fuzz-failures", property);
        Path file = dir.resolve("seed-" + SEED + "-try-" + (attempt + 1) + ".bin");
        try {
            Files.createDirectories(dir);
            Files.write(file, input);
            return file.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("saving the failing input of " + property + " to " + file, e);
        }
    }
}
