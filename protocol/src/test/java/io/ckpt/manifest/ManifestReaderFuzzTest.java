package io.ckpt.manifest;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ckpt.chunk.ChunkDigest;
import io.ckpt.fuzz.Allocation;
import io.ckpt.fuzz.Corpus;
import io.ckpt.fuzz.Fuzz;
import io.ckpt.fuzz.Mutations;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartNames;
import io.ckpt.protocol.PartType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ManifestReader on hostile files (issue 7): whatever the bytes, it reads them or refuses them with
 * a {@link ManifestException} whose message starts with the file's name; never another exception,
 * never more than {@link ManifestFormat#MAX_LABELS} labels or {@link ManifestFormat#MAX_ATTRIBUTES}
 * attributes, never a part name {@link PartNames} refuses, never an allocation beyond what the
 * input can justify, never a hang. Mutated manifests often get their checksum recomputed, so that
 * the damage reaches the checks behind it. The corpus under {@code /fuzz/manifest/} is replayed
 * every run; {@link Fuzz} sets the budget and docs/TESTING.md says how to fuzz longer.
 */
final class ManifestReaderFuzzTest {
    private static final String WHAT = "fuzz.manifest";
    private static final HexFormat HEX = HexFormat.of();
    /** One string's buffer (up to 64 KiB before the bytes are known to be there) and slack. */
    private static final long ALLOCATION_ALLOWANCE = 512 * 1024;
    private static volatile boolean measure;
    private static volatile boolean warmedUp;

    /** Up to 400 arbitrary bytes behind a valid magic and version 1 or 2. */
    @Test
    void arbitraryBytesAfterTheMagicReadOrFailCleanly() {
        Fuzz.forAll("manifest-arbitrary", r -> afterTheMagic(Fuzz.bytes(r, 400)), (input, r) -> check(input));
    }

    /** Valid manifests damaged one to three times, two thirds with the checksum recomputed. */
    @Test
    void mutatedValidManifestsReadOrFailCleanly() {
        Fuzz.forAll("manifest-mutated", ManifestReaderFuzzTest::mutatedManifests, (input, r) -> check(input));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void savedInputReadsOrFailsCleanly(String name, byte[] input) {
        check(input);
    }

    static Stream<Arguments> corpus() {
        return Corpus.load("manifest").stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    static byte[] afterTheMagic(byte[] body) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(ManifestFormat.MAGIC);
        b.write(1 + (body.length % 2)); // version 1 or 2
        b.writeBytes(body);
        return b.toByteArray();
    }

    static byte[] mutatedManifests(Random r) {
        byte[] m = Mutations.mutate(validManifest(r), r, 1 + r.nextInt(3));
        return r.nextInt(3) > 0 ? withChecksumRecomputed(m) : m;
    }

    /** The last 32 bytes replaced by the SHA-256 of all before them, as a careful forger would. */
    static byte[] withChecksumRecomputed(byte[] m) {
        if (m.length < 32) {
            return m;
        }
        MessageDigest sha = ChunkDigest.sha256();
        sha.update(m, 0, m.length - 32);
        byte[] out = m.clone();
        System.arraycopy(sha.digest(), 0, out, m.length - 32, 32);
        return out;
    }

    static void check(byte[] input) {
        warmUp();
        Throwable failure = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            long before = Allocation.current();
            Throwable t = null;
            try {
                ManifestReader.read(new ByteArrayInputStream(input), WHAT, new Checker());
            } catch (Throwable e) {
                t = e;
            }
            long allocated = Allocation.current() - before;
            if (measure && before >= 0) {
                assertTrue(allocated <= ALLOCATION_ALLOWANCE + 32L * input.length,
                        () -> "reading " + input.length + " bytes allocated " + allocated + " bytes");
            }
            return t;
        }, () -> "reader hangs on " + HEX.formatHex(input));
        if (failure == null) {
            return;
        }
        if (failure.getClass() != ManifestException.class) {
            fail("reader failed with " + failure + " on " + HEX.formatHex(input), failure);
        }
        assertTrue(failure.getMessage().startsWith(WHAT + ": "), () -> "message does not name the file: " + failure.getMessage());
    }

    /** Runs the reader's paths once unmeasured, so that class loading is not counted against it. */
    private static synchronized void warmUp() {
        if (warmedUp) {
            return;
        }
        warmedUp = true;
        Random r = new Random(1);
        for (int i = 0; i < 300; i++) {
            check(withChecksumRecomputed(Mutations.mutate(validManifest(r), r, 1 + r.nextInt(3))));
        }
        measure = true;
    }

    /** Asserts the reader's bounds on everything it hands out. */
    private static final class Checker implements ManifestReader.Visitor {
        @Override
        public void header(CheckpointHeader h) {
            assertTrue(h.labels().size() <= ManifestFormat.MAX_LABELS, "labels: " + h.labels().size());
        }

        @Override
        public void beginPart(PartInfo part) {
            PartNames.check(part.name());
        }

        @Override
        public void chunk(byte[] digest, int rawLength) {
            assertTrue(digest.length == 32 && rawLength > 0, "chunk length " + rawLength);
        }

        @Override
        public void endPart(long length, byte[] sha256, int chunkCount) {
            assertTrue(sha256.length == 32 && chunkCount >= 0, "part end");
        }

        @Override
        public void attributes(Map<String, String> attributes) {
            assertTrue(attributes.size() <= ManifestFormat.MAX_ATTRIBUTES, "attributes: " + attributes.size());
        }
    }

    /** A small valid manifest of a random mix of parts, version 2, attributes or not. */
    static byte[] validManifest(Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ManifestWriter w = new ManifestWriter(out, new CheckpointHeader(r.nextInt(100), "payroll01",
                1_700_000_000_000L, "scheduled", r.nextBoolean() ? List.of() : List.of("pre-upgrade", "Übergabe")))) {
            byte[] digest = new byte[32];
            for (int i = 0, parts = r.nextInt(4); i < parts; i++) {
                switch (r.nextInt(3)) {
                    case 0 -> {
                        w.beginPart(new PartInfo("statefile/f" + i, PartType.FILE, 0100644, 5L, ""));
                        for (int c = 0, n = r.nextInt(3); c < n; c++) {
                            r.nextBytes(digest);
                            w.chunk(digest, 0, 1 + r.nextInt(1 << 20));
                        }
                    }
                    case 1 -> w.beginPart(new PartInfo("statefile", PartType.DIRECTORY, 040755, 5L, ""));
                    default -> w.beginPart(new PartInfo("statefile/current", PartType.SYMLINK, 0120777, 5L, "f0"));
                }
                r.nextBytes(digest);
                w.endPart(r.nextInt(1 << 20), digest);
            }
            w.finish(r.nextBoolean() ? Map.of() : Map.of("host", "nodeA", "health", "good"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

}
