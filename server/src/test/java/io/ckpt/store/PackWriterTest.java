package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pack file as {@link PackWriter} writes it: header, whole batches of records that read back
 * through {@link ChunkReader}, a footer once sealed, and no use after a write error. Pack format
 * version 1 is pinned by a golden file.
 */
final class PackWriterTest {
    /**
     * Written once by {@link #writeGoldenPack} from {@link #goldenRecords()} at pack format version
     * 1, and never regenerated: a reader must accept it as long as ckpt reads version 1.
     */
    private static final String GOLDEN_V1 = "/golden/pack-v1.pack";
    private static final long GOLDEN_PACK_ID = 7;

    @TempDir
    Path dir;
    private Datastore ds;

    @BeforeEach
    void openDatastore() throws IOException {
        ds = Datastore.openOrCreate(dir.resolve("ds"));
    }

    @Test
    void newPackStartsWithMagicVersionAndIdAndLeavesNothingInTmp() throws IOException {
        PackWriter w = PackWriter.create(ds, 0x1234);
        try {
            assertEquals(PackFormat.HEADER_LENGTH, w.size());
            byte[] file = Files.readAllBytes(ds.packPath(0x1234));
            assertEquals(PackFormat.HEADER_LENGTH, file.length);
            assertArrayEquals("CKPTPACK".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(file, 8));
            assertEquals(1, file[8]);
            assertEquals(0x1234, ByteBuffer.wrap(file).getLong(9));
            assertEquals(ds.root().resolve("packs/34/0000000000001234.pack"), ds.packPath(0x1234));
            try (var tmp = Files.list(ds.tmpDir())) {
                assertEquals(0, tmp.count(), "the header's temporary file is renamed into place");
            }
        } finally {
            w.closeQuietly();
        }
    }

    @Test
    void appendedPlainAndLz4RecordsReadBackThroughChunkReader() throws IOException {
        List<ChunkRecord> chunks = List.of(
                ChunkRecord.plain(ChunkRecord.noise(1, 8192)),
                ChunkRecord.lz4(ChunkRecord.text(2, 64 * 1024)),
                ChunkRecord.plain(ChunkRecord.noise(3, 1)),
                ChunkRecord.lz4(new byte[30_000]));
        assertTrue(chunks.get(1).stored().length < 64 * 1024 / 2, "text compresses");

        PackWriter w = PackWriter.create(ds, 1);
        RecordBatch first = new RecordBatch(1 << 20);
        int[] at = new int[chunks.size()];
        at[0] = chunks.get(0).addTo(first);
        at[1] = chunks.get(1).addTo(first);
        long base1 = w.append(first);
        RecordBatch second = new RecordBatch(1 << 20);
        at[2] = chunks.get(2).addTo(second);
        at[3] = chunks.get(3).addTo(second);
        long base2 = w.append(second);
        w.seal();

        assertEquals(PackFormat.HEADER_LENGTH, base1);
        assertEquals(base1 + first.bytes(), base2);
        assertEquals(base2 + second.bytes(), w.size());
        long[] offsets = {base1 + at[0], base1 + at[1], base2 + at[2], base2 + at[3]};
        try (ChunkReader reader = new ChunkReader(ds)) {
            for (int i = 0; i < chunks.size(); i++) {
                assertArrayEquals(chunks.get(i).raw(), chunks.get(i).readBack(reader, 1, offsets[i]), "chunk " + i);
            }
        }
    }

    @Test
    void sealedPackEndsWithFooterCountingItsRecords() throws IOException {
        PackWriter w = PackWriter.create(ds, 2);
        RecordBatch batch = new RecordBatch(1 << 20);
        for (int i = 0; i < 5; i++) {
            ChunkRecord.plain(ChunkRecord.noise(i, 1000 + i)).addTo(batch);
        }
        w.append(batch);
        long dataEnd = w.size();
        w.seal();

        Path pack = ds.packPath(2);
        assertEquals(dataEnd + PackFormat.FOOTER_LENGTH, Files.size(pack));
        assertEquals(new PackFooter(5, dataEnd), PackFooter.of(pack));
    }

    @Test
    void sealedPackIsNeverAppendedTo() throws IOException {
        PackWriter w = PackWriter.create(ds, 3);
        RecordBatch batch = new RecordBatch(1 << 20);
        ChunkRecord.plain(ChunkRecord.noise(1, 4096)).addTo(batch);
        w.append(batch);
        w.seal();
        byte[] sealed = Files.readAllBytes(ds.packPath(3));

        assertThrows(IOException.class, () -> w.append(batch));
        assertThrows(StoreException.class, () -> w.append(batch), "a writer refuses to be used again");
        assertArrayEquals(sealed, Files.readAllBytes(ds.packPath(3)), "the sealed pack did not change");
    }

    @Test
    void appendAfterAWriteErrorIsRefusedNamingThePack() throws IOException {
        PackWriter w = PackWriter.create(ds, 4);
        RecordBatch batch = new RecordBatch(1 << 20);
        ChunkRecord.plain(ChunkRecord.noise(1, 4096)).addTo(batch);
        w.append(batch);
        long size = w.size();

        w.appender().close(); // the next write fails, as on a dead NFS mount
        assertThrows(IOException.class, () -> w.append(batch));
        assertTrue(w.isBroken());
        assertEquals(size, w.size(), "a failed append does not count");

        StoreException again = assertThrows(StoreException.class, () -> w.append(batch));
        assertTrue(again.getMessage().contains("cannot be used after a write error"), again.getMessage());
        assertTrue(again.getMessage().contains("0000000000000004.pack"), again.getMessage());
        assertEquals(size, Files.size(ds.packPath(4)), "nothing reached the file");
    }

    @Test
    void healthyWriterIsNotBroken() throws IOException {
        PackWriter w = PackWriter.create(ds, 5);
        try {
            RecordBatch batch = new RecordBatch(1 << 16);
            ChunkRecord.plain(ChunkRecord.noise(1, 100)).addTo(batch);
            w.append(batch);
            w.force();
            assertFalse(w.isBroken());
        } finally {
            w.closeQuietly();
        }
    }

    // --- golden file, pack format version 1 ----------------------------------------------------

    @Test
    void goldenVersion1PackReadsBackItsKnownChunks() throws IOException {
        byte[] golden = golden();
        Path pack = ds.packPath(GOLDEN_PACK_ID);
        Files.createDirectories(pack.getParent());
        Files.write(pack, golden);

        List<ChunkRecord> records = goldenRecords();
        PackScanner.Scan scan = PackScanner.scan(pack, GOLDEN_PACK_ID);
        assertEquals(records.size(), scan.records(), "the footer is not a record");
        assertEquals(new PackFooter(records.size(), scan.validLength()), PackFooter.of(pack));
        try (ChunkReader reader = new ChunkReader(ds)) {
            long offset = PackFormat.HEADER_LENGTH;
            for (ChunkRecord r : records) {
                assertArrayEquals(r.raw(), r.readBack(reader, GOLDEN_PACK_ID, offset));
                offset += r.recordLength();
            }
        }
        // Spelled out too, so that a change to goldenRecords() cannot carry the test along with it.
        assertEquals("hello, pack", new String(Arrays.copyOfRange(golden, 24 + 46, 24 + 46 + 11), StandardCharsets.US_ASCII));
        assertEquals(PackFormat.CODEC_LZ4, golden[24 + 46 + 11 + 33]);
    }

    @Test
    void writingTheGoldenRecordsReproducesTheGoldenPack() throws IOException {
        assertArrayEquals(golden(), writeGoldenPack(ds), "pack format v1 changed: write a new version instead");
    }

    /** Small and fixed: a plain record, an LZ4 record, an empty-looking run of zeros. */
    private static List<ChunkRecord> goldenRecords() {
        // The pure-Java compressor: its output is the same on every platform.
        var lz4 = LZ4Factory.safeInstance().fastCompressor();
        return List.of(
                ChunkRecord.plain("hello, pack".getBytes(StandardCharsets.US_ASCII)),
                ChunkRecord.lz4("abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc".repeat(20).getBytes(StandardCharsets.US_ASCII), lz4),
                ChunkRecord.lz4(new byte[4096], lz4));
    }

    private static byte[] writeGoldenPack(Datastore ds) throws IOException {
        PackWriter w = PackWriter.create(ds, GOLDEN_PACK_ID);
        RecordBatch batch = new RecordBatch(1 << 16);
        for (ChunkRecord r : goldenRecords()) {
            r.addTo(batch);
        }
        w.append(batch);
        w.seal();
        byte[] bytes = Files.readAllBytes(ds.packPath(GOLDEN_PACK_ID));
        Files.delete(ds.packPath(GOLDEN_PACK_ID));
        return bytes;
    }

    private static byte[] golden() throws IOException {
        try (InputStream in = PackWriterTest.class.getResourceAsStream(GOLDEN_V1)) {
            assertNotNull(in, GOLDEN_V1 + " missing from test resources");
            return in.readAllBytes();
        }
    }

    /** Writes the golden file once: {@code java ... PackWriterTest <datastore dir> <out file>}. */
    public static void main(String[] args) throws IOException {
        Files.write(Path.of(args[1]), writeGoldenPack(Datastore.openOrCreate(Path.of(args[0]))));
    }
}
