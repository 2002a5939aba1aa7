package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.chunk.ChunkDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chunk comes back only when everything about it checks out; otherwise {@link ChunkReader}
 * fails with {@link StoreException.Corrupt} naming the pack, the offset and what did not match.
 */
final class ChunkReaderTest {
    private static final long PACK = 3;
    private static final String PACK_NAME = "packs/03/0000000000000003.pack";

    @TempDir
    Path dir;
    private Datastore ds;
    private final ChunkRecord plain = ChunkRecord.plain(ChunkRecord.noise(1, 10_000));
    private final ChunkRecord compressed = ChunkRecord.lz4(ChunkRecord.text(2, 20_000));
    private long plainAt;
    private long compressedAt;

    @BeforeEach
    void writePack() throws IOException {
        ds = Datastore.openOrCreate(dir.resolve("ds"));
        long[] at = write(PACK, plain, compressed);
        plainAt = at[0];
        compressedAt = at[1];
    }

    /** Writes the records into a sealed pack {@code id} and returns their offsets. */
    private long[] write(long id, ChunkRecord... records) throws IOException {
        PackWriter w = PackWriter.create(ds, id);
        RecordBatch batch = new RecordBatch(1 << 20);
        long[] at = new long[records.length];
        for (int i = 0; i < records.length; i++) {
            at[i] = records[i].addTo(batch);
        }
        long base = w.append(batch);
        w.seal();
        for (int i = 0; i < at.length; i++) {
            at[i] += base;
        }
        return at;
    }

    private StoreException.Corrupt readFails(ChunkRecord r, long pack, long offset, int stored, int raw) {
        return assertThrows(StoreException.Corrupt.class, () -> {
            try (ChunkReader reader = new ChunkReader(ds)) {
                reader.read(r.digest(), 0, pack, offset, stored, raw, new byte[Math.max(raw, 1) + 16], 0);
            }
        });
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention '" + p + "'");
        }
    }

    @Test
    void intactRecordsReadBackIntoTheGivenPlace() throws IOException {
        try (ChunkReader reader = new ChunkReader(ds)) {
            assertArrayEquals(plain.raw(), plain.readBack(reader, PACK, plainAt));
            assertArrayEquals(compressed.raw(), compressed.readBack(reader, PACK, compressedAt));
            byte[] dst = new byte[plain.raw().length + 10];
            reader.read(plain.digest(), 0, PACK, plainAt, plain.stored().length, plain.raw().length, dst, 7);
            assertArrayEquals(plain.raw(), Arrays.copyOfRange(dst, 7, 7 + plain.raw().length));
        }
    }

    @Test
    void flippedByteInPlainDataIsCorruptNamingPackAndOffset() throws IOException {
        ChunkRecord.flipByte(ds.packPath(PACK), plainAt + PackFormat.RECORD_HEADER_LENGTH + 5000);
        var e = readFails(plain, PACK, plainAt, plain.stored().length, plain.raw().length);
        assertMentions(e, "pack " + PACK_NAME, "offset " + plainAt, "CRC32C");
    }

    @Test
    void flippedByteInCompressedDataIsCorruptNamingPackAndOffset() throws IOException {
        ChunkRecord.flipByte(ds.packPath(PACK), compressedAt + PackFormat.RECORD_HEADER_LENGTH + 3);
        var e = readFails(compressed, PACK, compressedAt, compressed.stored().length, compressed.raw().length);
        assertMentions(e, "pack " + PACK_NAME, "offset " + compressedAt);
    }

    @Test
    void flippedByteInRecordHeaderIsCorrupt() throws IOException {
        ChunkRecord.flipByte(ds.packPath(PACK), plainAt + 10); // inside the stored digest
        var e = readFails(plain, PACK, plainAt, plain.stored().length, plain.raw().length);
        assertMentions(e, "offset " + plainAt);
    }

    @Test
    void askingForAnotherDigestThanTheRecordHoldsIsCorrupt() {
        ChunkRecord other = ChunkRecord.plain(ChunkRecord.noise(99, 10_000));
        var e = readFails(other, PACK, plainAt, plain.stored().length, plain.raw().length);
        assertMentions(e, "pack " + PACK_NAME, "offset " + plainAt, "another chunk");
    }

    @Test
    void missingPackFileIsCorruptNamingThePack() {
        var e = readFails(plain, 0xabcdef, 24, plain.stored().length, plain.raw().length);
        assertMentions(e, "packs/ef/0000000000abcdef.pack", "missing");
    }

    @Test
    void rawLengthThatDisagreesWithTheRecordIsCorrupt() {
        var e = readFails(plain, PACK, plainAt, plain.stored().length, plain.raw().length + 1);
        assertMentions(e, "offset " + plainAt, "sizes");
    }

    @Test
    void storedLengthThatDisagreesWithTheRecordIsCorrupt() {
        var e = readFails(compressed, PACK, compressedAt, compressed.stored().length - 1, compressed.raw().length);
        assertMentions(e, "offset " + compressedAt);
    }

    @Test
    void impossibleCatalogSizesAreCorruptBeforeAnyRead() {
        assertMentions(readFails(plain, PACK, plainAt, -1, 100), "impossible sizes");
        assertMentions(readFails(plain, PACK, plainAt, 100, 0), "impossible sizes");
        assertMentions(readFails(plain, PACK, plainAt, 100, PackFormat.MAX_RAW_LENGTH + 1), "impossible sizes");
    }

    @Test
    void offsetThatIsNotARecordStartIsCorrupt() {
        var e = readFails(plain, PACK, plainAt + 1, plain.stored().length, plain.raw().length);
        assertMentions(e, "offset " + (plainAt + 1), "no record starts here");
    }

    @Test
    void recordRunningPastTheEndOfThePackIsCorrupt() throws IOException {
        long size = Files.size(ds.packPath(PACK));
        var e = readFails(plain, PACK, size - 10, plain.stored().length, plain.raw().length);
        assertMentions(e, "offset " + (size - 10), "past the end");
    }

    @Test
    void recordWithValidCrcButWrongBytesFailsTheSha256Check() throws IOException {
        // A record that names chunk A but carries B's bytes: its CRC is right, its content is not.
        ChunkRecord a = ChunkRecord.plain(ChunkRecord.noise(10, 5000));
        byte[] b = ChunkRecord.noise(11, 5000);
        long at = write(4, new ChunkRecord(a.raw(), a.digest(), PackFormat.CODEC_NONE, b))[0];
        var e = readFails(a, 4, at, 5000, 5000);
        assertMentions(e, "offset " + at, "SHA-256");
    }

    @Test
    void lz4RecordThatDoesNotDecompressIsCorrupt() throws IOException {
        ChunkRecord a = ChunkRecord.lz4(ChunkRecord.text(12, 10_000));
        byte[] garbage = ChunkRecord.noise(13, a.stored().length);
        long at = write(5, new ChunkRecord(a.raw(), a.digest(), PackFormat.CODEC_LZ4, garbage))[0];
        var e = readFails(a, 5, at, garbage.length, a.raw().length);
        assertMentions(e, "offset " + at);
    }

    @Test
    void unknownCodecIsCorrupt() throws IOException {
        ChunkRecord a = ChunkRecord.plain(ChunkRecord.noise(14, 100));
        long at = write(6, new ChunkRecord(a.raw(), a.digest(), 7, a.stored()))[0];
        assertMentions(readFails(a, 6, at, 100, 100), "unknown codec 7");
    }

    /**
     * A plain record must hold exactly its raw length. One whose header claims more raw bytes than
     * it stores (written by a buggy or hostile writer, CRC intact) is damage to report, not an
     * {@link IndexOutOfBoundsException} out of the reader.
     */
    @Test
    void plainRecordClaimingMoreBytesThanItStoresIsCorrupt() throws IOException {
        byte[] raw = ChunkRecord.noise(15, 200_000);
        byte[] digest = ChunkDigest.compute(raw, 0, raw.length).toBytes();
        byte[] half = Arrays.copyOf(raw, 100_000);
        long at = write(7, new ChunkRecord(raw, digest, PackFormat.CODEC_NONE, half))[0];
        ChunkRecord claimed = new ChunkRecord(raw, digest, PackFormat.CODEC_NONE, half);
        readFails(claimed, 7, at, half.length, raw.length);
    }

    @Test
    void readerKeepsWorkingAcrossManyPacks() throws IOException {
        List<ChunkRecord> records = new java.util.ArrayList<>();
        long[] at = new long[40];
        for (int i = 0; i < 40; i++) {
            ChunkRecord r = ChunkRecord.plain(ChunkRecord.noise(100 + i, 100 + i));
            records.add(r);
            at[i] = write(100 + i, r)[0];
        }
        try (ChunkReader reader = new ChunkReader(ds)) {
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 40; i++) {
                    assertArrayEquals(records.get(i).raw(), records.get(i).readBack(reader, 100 + i, at[i]));
                }
            }
        }
    }
}
