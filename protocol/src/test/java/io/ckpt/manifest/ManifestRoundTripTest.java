package io.ckpt.manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A manifest reads back exactly as written, any damage to it is refused with a
 * {@link ManifestException}, version 1 files still read, and
 * version 2 stays byte for byte what it was when first written.
 */
final class ManifestRoundTripTest {
    private static final HexFormat HEX = HexFormat.of();
    /**
     * Written once by {@link #write} from {@link #goldenContent()} at format version 1, and never
     * regenerated: a reader must accept it as long as ckpt reads version 1. A new format version
     * gets a new file beside it.
     */
    private static final String GOLDEN_V1 = "/golden/manifest-v1.bin";
    /** Likewise for version 2 (the attributes record), from {@link #goldenContentV2()}. */
    private static final String GOLDEN_V2 = "/golden/manifest-v2.bin";

    /** What a manifest holds, as plain values, so that written and read content compare with equals. */
    record Content(CheckpointHeader header, List<Part> parts, Map<String, String> attributes) {
        Content(CheckpointHeader header, List<Part> parts) {
            this(header, parts, Map.of());
        }
    }

    record Part(PartInfo info, List<ChunkRef> chunks, long length, String sha256) {}

    record ChunkRef(String digest, int rawLength) {}

    @Test
    void manifestWithEveryPartTypeReadsBackAsWritten() throws IOException {
        Content content = randomContent(new Random(1));
        assertEquals(content, read(write(content)));
    }

    @Test
    void flippedBitAnywhereIsDetected() throws IOException {
        byte[] good = write(goldenContent());
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) (1 << bit);
                String where = "flip of bit " + bit + " of byte " + i;
                assertThrows(ManifestException.class, () -> read(bad), where);
            }
        }
    }

    @Test
    void flippedByteInAChunkDigestIsReportedAsChecksumMismatch() throws IOException {
        byte[] bad = write(goldenContent());
        int digestAt = indexOf(bad, HEX.parseHex(sha256("alpha")));
        bad[digestAt + 5] ^= (byte) 0xff;
        ManifestException e = assertThrows(ManifestException.class, () -> read(bad));
        assertEquals("test.manifest: manifest checksum mismatch (damaged file)", e.getMessage());
    }

    @Test
    void malformedUtf8InAStringIsRefusedEvenWithAGoodChecksum() throws IOException {
        byte[] bad = write(goldenContentV2());
        int at = indexOf(bad, "payroll01".getBytes(StandardCharsets.US_ASCII));
        bad[at + 3] = (byte) 0xff;
        MessageDigest sha = ChunkDigest.sha256();
        sha.update(bad, 0, bad.length - 32);
        System.arraycopy(sha.digest(), 0, bad, bad.length - 32, 32);
        ManifestException e = assertThrows(ManifestException.class, () -> read(bad));
        assertEquals("test.manifest: string of 9 bytes is not valid UTF-8", e.getMessage());
    }

    @Test
    void truncationAtAnyLengthIsDetected() throws IOException {
        byte[] good = write(goldenContent());
        for (int n = 0; n < good.length; n++) {
            byte[] cut = Arrays.copyOf(good, n);
            assertThrows(ManifestException.class, () -> read(cut), "truncation to " + n + " bytes");
        }
    }

    @Test
    void truncationPastTheMagicIsReportedAsTruncation() throws IOException {
        byte[] good = write(goldenContent());
        for (int n = ManifestFormat.MAGIC.length; n < good.length; n++) {
            byte[] cut = Arrays.copyOf(good, n);
            ManifestException e = assertThrows(ManifestException.class, () -> read(cut));
            assertTrue(e.getMessage().contains("manifest is truncated"), n + " bytes: " + e.getMessage());
        }
    }

    @Test
    void unknownVersionIsRejectedNamingTheVersion() throws IOException {
        for (int version : new int[] {0, 3, 255}) {
            byte[] other = write(goldenContent());
            other[ManifestFormat.MAGIC.length] = (byte) version;
            ManifestException e = assertThrows(ManifestException.class, () -> read(other));
            assertTrue(e.getMessage().contains("manifest version " + version + " is not supported"), e.getMessage());
            assertTrue(e.getMessage().contains("reads versions 1 to 2"), e.getMessage());
        }
    }

    @Test
    void otherFileIsRejectedAsNotAManifest() {
        byte[] pack = "CKPTPACK\u0001".getBytes(StandardCharsets.US_ASCII);
        ManifestException e = assertThrows(ManifestException.class, () -> read(pack));
        assertTrue(e.getMessage().startsWith("test.manifest: not a ckpt manifest"), e.getMessage());
    }

    @Test
    void goldenVersion1FileReadsAsItsKnownContent() throws IOException {
        byte[] golden = golden();
        Content content = read(golden);
        assertEquals(goldenContent(), content);

        // Spelled out too, so that a change to goldenContent() cannot carry the test along with it.
        assertEquals(new CheckpointHeader(42, "payroll01", 1_700_000_000_000L, "scheduled", List.of("pre-upgrade", "Übergabe")),
                content.header());
        assertEquals(List.of("statefile", "statefile/memory.img", "statefile/empty.log", "statefile/current", "stdout"),
                content.parts().stream().map(p -> p.info().name()).toList());
        Part memory = content.parts().get(1);
        assertEquals(new ChunkRef("8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8", 5), memory.chunks().get(0));
        assertEquals("c04a9408aace4db24979fa5cd28ad7aa454d7b97a30e9eb561387e7b53c33abc", memory.sha256());
        assertEquals("memory.img", content.parts().get(3).info().linkTarget());
    }

    @Test
    void goldenVersion2FileReadsWithItsAttributes() throws IOException {
        Content content = read(golden(GOLDEN_V2));
        assertEquals(goldenContentV2(), content);
        assertEquals("nodeA", content.attributes().get("host"));
        assertEquals(goldenContent().parts(), content.parts());
    }

    @Test
    void writingTheGoldenContentReproducesTheGoldenBytes() throws IOException {
        assertArrayEquals(golden(GOLDEN_V2), write(goldenContentV2()), "manifest format v2 changed: write a new version instead");
    }

    @Test
    void attributesRecordInAVersion1ManifestIsRefused() throws IOException {
        byte[] v2 = write(goldenContentV2());
        v2[ManifestFormat.MAGIC.length] = 1;
        ManifestException e = assertThrows(ManifestException.class, () -> read(v2));
        assertTrue(e.getMessage().contains("unknown record tag " + (int) 'A'), e.getMessage());
    }

    @Test
    void repeatedAttributeIsRefused() throws IOException {
        byte[] v2 = write(new Content(goldenContent().header(), List.of(), Map.of("aa", "1", "ab", "2")));
        int at = indexOf(v2, new byte[] {0, 2, 'a', 'b', 0, 1, '2'}); // key "ab" with its length, then its value
        v2[at + 3] = 'a';
        ManifestException e = assertThrows(ManifestException.class, () -> read(v2));
        // the checksum is checked at the end; the repeated key is found first
        assertTrue(e.getMessage().contains("attribute 'aa' twice"), e.getMessage());
    }

    // --- content ----------------------------------------------------------------------------

    /** The version 1 content with the attributes a commit writes. */
    static Content goldenContentV2() {
        Content v1 = goldenContent();
        return new Content(v1.header(), v1.parts(), Map.of("host", "nodeA", "health", "good", "health_reason", "",
                "upload_key", "k-7", "created_at", "1700000000100", "completed_at", "1700000009000", "logical_bytes", "12"));
    }

    /** Small and fixed: every part type, an empty file, a non-ASCII label. */
    static Content goldenContent() {
        long t = 1_700_000_000_000L;
        return new Content(
                new CheckpointHeader(42, "payroll01", t, "scheduled", List.of("pre-upgrade", "Übergabe")),
                List.of(
                        part(new PartInfo("statefile", PartType.DIRECTORY, 040755, t - 1000, "")),
                        part(new PartInfo("statefile/memory.img", PartType.FILE, 0100600, t - 500, ""), "alpha", "beta", "gamma"),
                        part(new PartInfo("statefile/empty.log", PartType.FILE, 0100644, t - 400, "")),
                        part(new PartInfo("statefile/current", PartType.SYMLINK, 0120777, t - 300, "memory.img")),
                        part(new PartInfo("stdout", PartType.STREAM, 0, 0, ""), "delta", "epsilon")));
    }

    private static Part part(PartInfo info, String... chunks) {
        MessageDigest whole = ChunkDigest.sha256();
        List<ChunkRef> refs = new ArrayList<>();
        long length = 0;
        for (String c : chunks) {
            byte[] b = c.getBytes(StandardCharsets.US_ASCII);
            whole.update(b);
            refs.add(new ChunkRef(sha256(c), b.length));
            length += b.length;
        }
        return new Part(info, List.copyOf(refs), length, HEX.formatHex(whole.digest()));
    }

    private static Content randomContent(Random random) {
        List<Part> parts = new ArrayList<>();
        parts.add(new Part(new PartInfo("fs", PartType.DIRECTORY, 040700, random.nextLong(), ""), List.of(), 0, sha256("")));
        parts.add(new Part(new PartInfo("fs/link", PartType.SYMLINK, 0120777, random.nextLong(), "../elsewhere"), List.of(), 0, sha256("")));
        for (String name : List.of("fs/a/memory.img", "fs/b/c.dat", "stdin")) {
            List<ChunkRef> chunks = new ArrayList<>();
            long length = 0;
            for (int i = random.nextInt(500); i > 0; i--) {
                byte[] digest = new byte[32];
                random.nextBytes(digest);
                int raw = 1 + random.nextInt(64 * 1024);
                chunks.add(new ChunkRef(HEX.formatHex(digest), raw));
                length += raw;
            }
            PartType type = name.equals("stdin") ? PartType.STREAM : PartType.FILE;
            parts.add(new Part(new PartInfo(name, type, 0100644, random.nextLong(), ""), chunks, length, sha256(name)));
        }
        return new Content(new CheckpointHeader(random.nextLong(), "wpar-" + random.nextInt(100), random.nextLong(),
                "final-before-move", List.of()), parts,
                Map.of("host", "h" + random.nextInt(1000), "stored_bytes", Long.toString(random.nextLong())));
    }

    // --- writing and reading ----------------------------------------------------------------

    static byte[] write(Content content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ManifestWriter writer = new ManifestWriter(out, content.header())) {
            for (Part p : content.parts()) {
                writer.beginPart(p.info());
                for (ChunkRef c : p.chunks()) {
                    writer.chunk(HEX.parseHex(c.digest()), 0, c.rawLength());
                }
                writer.endPart(p.length(), HEX.parseHex(p.sha256()));
            }
            writer.finish(content.attributes());
        }
        return out.toByteArray();
    }

    private static Content read(byte[] manifest) throws IOException {
        List<Part> parts = new ArrayList<>();
        CheckpointHeader[] header = new CheckpointHeader[1];
        Map<String, String> attributes = new LinkedHashMap<>();
        ManifestReader.read(new ByteArrayInputStream(manifest), "test.manifest", new ManifestReader.Visitor() {
            private PartInfo info;
            private List<ChunkRef> chunks;

            @Override
            public void header(CheckpointHeader h) {
                header[0] = h;
            }

            @Override
            public void beginPart(PartInfo part) {
                info = part;
                chunks = new ArrayList<>();
            }

            @Override
            public void chunk(byte[] digest, int rawLength) {
                chunks.add(new ChunkRef(HEX.formatHex(digest), rawLength));
            }

            @Override
            public void endPart(long length, byte[] sha256, int chunkCount) {
                assertEquals(chunks.size(), chunkCount);
                parts.add(new Part(info, List.copyOf(chunks), length, HEX.formatHex(sha256)));
            }

            @Override
            public void attributes(Map<String, String> a) {
                attributes.putAll(a);
            }
        });
        return new Content(header[0], parts, Map.copyOf(attributes));
    }

    private static byte[] golden() throws IOException {
        return golden(GOLDEN_V1);
    }

    private static byte[] golden(String name) throws IOException {
        try (InputStream in = ManifestRoundTripTest.class.getResourceAsStream(name)) {
            assertNotNull(in, name + " missing from test resources");
            return in.readAllBytes();
        }
    }

    private static String sha256(String s) {
        return HEX.formatHex(ChunkDigest.sha256().digest(s.getBytes(StandardCharsets.US_ASCII)));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new AssertionError("not found: " + HEX.formatHex(needle));
    }
}
