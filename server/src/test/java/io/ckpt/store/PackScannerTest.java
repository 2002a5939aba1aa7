package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What start-up recovery relies on: {@link PackScanner#scan} finds the whole, CRC-clean prefix of
 * a pack that a crash left open, and {@link PackScanner#truncateAndSeal} turns that prefix into a
 * sealed pack whose records still read.
 */
final class PackScannerTest {
    private static final long PACK = 9;

    @TempDir
    Path dir;
    private Datastore ds;
    private Path pack;
    private final List<ChunkRecord> records = new ArrayList<>();
    /** Offset of each record, then the end of the last one. */
    private final List<Long> offsets = new ArrayList<>();

    @BeforeEach
    void writeOpenPack() throws IOException {
        ds = Datastore.openOrCreate(dir.resolve("ds"));
        pack = ds.packPath(PACK);
        PackWriter w = PackWriter.create(ds, PACK);
        for (int i = 0; i < 6; i++) {
            ChunkRecord r = i % 3 == 0 ? ChunkRecord.lz4(ChunkRecord.text(i, 20_000 + i))
                    : ChunkRecord.plain(ChunkRecord.noise(i, i == 4 ? 100_000 : 3000 + i)); // one past the scanner's first buffer
            RecordBatch b = new RecordBatch(r.recordLength());
            r.addTo(b);
            records.add(r);
            offsets.add(w.append(b));
        }
        offsets.add(w.size());
        w.force();
        w.closeQuietly(); // left open, as by a crash
    }

    private long end() {
        return offsets.get(records.size());
    }

    private void append(byte[] bytes) throws IOException {
        Files.write(pack, bytes, StandardOpenOption.APPEND);
    }

    private void truncate(long size) throws IOException {
        try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    @Test
    void cleanOpenPackScansToItsLastRecord() throws IOException {
        assertEquals(new PackScanner.Scan(end(), 6, false), PackScanner.scan(pack, PACK));
    }

    @Test
    void packWithOnlyAHeaderHasNoRecords() throws IOException {
        truncate(PackFormat.HEADER_LENGTH);
        assertEquals(new PackScanner.Scan(PackFormat.HEADER_LENGTH, 0, false), PackScanner.scan(pack, PACK));
    }

    @Test
    void lastRecordTornInItsDataEndsThePrefixBeforeIt() throws IOException {
        truncate(offsets.get(5) + PackFormat.RECORD_HEADER_LENGTH + 7);
        assertEquals(new PackScanner.Scan(offsets.get(5), 5, false), PackScanner.scan(pack, PACK));
    }

    @Test
    void lastRecordTornInItsHeaderEndsThePrefixBeforeIt() throws IOException {
        truncate(offsets.get(5) + 20);
        assertEquals(new PackScanner.Scan(offsets.get(5), 5, false), PackScanner.scan(pack, PACK));
    }

    @Test
    void largeRecordTornInItsDataEndsThePrefixBeforeIt() throws IOException {
        truncate(offsets.get(4) + 80_000);
        assertEquals(new PackScanner.Scan(offsets.get(4), 4, false), PackScanner.scan(pack, PACK));
    }

    @Test
    void garbageAppendedAfterTheLastRecordIsNotCounted() throws IOException {
        append(ChunkRecord.noise(77, 10_000));
        assertEquals(new PackScanner.Scan(end(), 6, false), PackScanner.scan(pack, PACK));
    }

    @Test
    void garbageThatStartsLikeARecordIsNotCounted() throws IOException {
        byte[] garbage = ChunkRecord.noise(78, 500);
        garbage[0] = PackFormat.RECORD_TAG;
        ByteBuffer.wrap(garbage).putInt(34, 100).putInt(38, 100); // plausible sizes, wrong CRC
        append(garbage);
        assertEquals(new PackScanner.Scan(end(), 6, false), PackScanner.scan(pack, PACK));
    }

    @Test
    void garbageClaimingAHugeRecordIsNotCounted() throws IOException {
        byte[] garbage = new byte[PackFormat.RECORD_HEADER_LENGTH];
        garbage[0] = PackFormat.RECORD_TAG;
        ByteBuffer.wrap(garbage).putInt(34, 1).putInt(38, Integer.MAX_VALUE);
        append(garbage);
        assertEquals(new PackScanner.Scan(end(), 6, false), PackScanner.scan(pack, PACK));
    }

    @Test
    void recordWithBadCrcEndsThePrefixEvenWhenWholeRecordsFollow() throws IOException {
        ChunkRecord.flipByte(pack, offsets.get(2) + PackFormat.RECORD_HEADER_LENGTH + 1);
        assertEquals(new PackScanner.Scan(offsets.get(2), 2, false), PackScanner.scan(pack, PACK));
    }

    @Test
    void lenientScanSkipsADamagedRecordAndKeepsTheCleanOnesAfterIt() throws IOException {
        ChunkRecord.flipByte(pack, offsets.get(2) + PackFormat.RECORD_HEADER_LENGTH + 1);
        List<Long> seen = new ArrayList<>();
        PackScanner.Scan scan = PackScanner.scan(pack, PACK, (h, offset, codec, raw, stored) -> seen.add(offset), true);
        assertEquals(new PackScanner.Scan(end(), 6, false, 1, end()), scan);
        assertEquals(List.of(offsets.get(0), offsets.get(1), offsets.get(3), offsets.get(4), offsets.get(5)), seen);
    }

    @Test
    void lenientScanCutsADamagedLastRecord() throws IOException {
        ChunkRecord.flipByte(pack, offsets.get(5) + PackFormat.RECORD_HEADER_LENGTH + 1);
        assertEquals(new PackScanner.Scan(offsets.get(5), 5, false, 1, end()), PackScanner.scan(pack, PACK, null, true));
    }

    @Test
    void lenientScanOfASealedPackWithADamagedRecordStillSeesTheSeal() throws IOException {
        PackScanner.truncateAndSeal(pack, end(), 6);
        ChunkRecord.flipByte(pack, offsets.get(1) + PackFormat.RECORD_HEADER_LENGTH + 1);
        PackScanner.Scan scan = PackScanner.scan(pack, PACK, null, true);
        assertTrue(scan.sealed(), scan.toString());
        assertEquals(1, scan.damaged());
    }

    @Test
    void sealedPackScansToItsFooter() throws IOException {
        PackScanner.truncateAndSeal(pack, end(), 6);
        assertEquals(new PackScanner.Scan(end(), 6, true), PackScanner.scan(pack, PACK), "the footer is not a record");
    }

    @Test
    void footerThatDoesNotCountTheRecordsIsNotASeal() throws IOException {
        append(PackFormat.footer(5, end()).array());
        assertEquals(new PackScanner.Scan(end(), 6, false), PackScanner.scan(pack, PACK));
    }

    @Test
    void visitorSeesEveryValidRecordWithItsOffsetAndSizes() throws IOException {
        List<Long> seen = new ArrayList<>();
        PackScanner.scan(pack, PACK, (header, offset, codec, raw, stored) -> {
            int i = seen.size();
            seen.add(offset);
            assertEquals(i % 3 == 0 ? PackFormat.CODEC_LZ4 : PackFormat.CODEC_NONE, codec, "record " + i);
            assertEquals(PackFormat.RECORD_TAG, header[0]);
        });
        assertEquals(offsets.subList(0, 6), seen);
    }

    @Test
    void truncateAndSealYieldsASealedPackWhoseRecordsStillRead() throws IOException {
        truncate(offsets.get(5) + 100);
        append(ChunkRecord.noise(79, 3000));
        PackScanner.Scan scan = PackScanner.scan(pack, PACK);

        PackScanner.truncateAndSeal(pack, scan.validLength(), scan.records());

        assertEquals(scan.validLength() + PackFormat.FOOTER_LENGTH, Files.size(pack));
        assertEquals(new PackFooter(5, offsets.get(5)), PackFooter.of(pack));
        try (ChunkReader reader = new ChunkReader(ds)) {
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(records.get(i).raw(), records.get(i).readBack(reader, PACK, offsets.get(i)), "record " + i);
            }
            assertThrows(StoreException.Corrupt.class, () -> records.get(5).readBack(reader, PACK, offsets.get(5)),
                    "the cut record is gone");
        }
    }

    @Test
    void resealingAPackSealedBeforeTheCatalogHeardOfItChangesNothing() throws IOException {
        // A crash between sealing a pack and recording it: the catalog still says open.
        PackScanner.truncateAndSeal(pack, end(), 6);
        byte[] sealed = Files.readAllBytes(pack);
        PackScanner.Scan scan = PackScanner.scan(pack, PACK);
        PackScanner.truncateAndSeal(pack, scan.validLength(), scan.records());
        assertArrayEquals(sealed, Files.readAllBytes(pack));
    }

    @Test
    void packWithAnotherIdInItsHeaderIsCorrupt() {
        StoreException.Corrupt e = assertThrows(StoreException.Corrupt.class, () -> PackScanner.scan(pack, PACK + 1));
        assertTrue(e.getMessage().contains(pack.toString()), e.getMessage());
    }

    @Test
    void packWithDamagedMagicIsCorrupt() throws IOException {
        ChunkRecord.flipByte(pack, 0);
        assertThrows(StoreException.Corrupt.class, () -> PackScanner.scan(pack, PACK));
    }

    @Test
    void packShorterThanItsHeaderIsCorrupt() throws IOException {
        truncate(10);
        assertThrows(StoreException.Corrupt.class, () -> PackScanner.scan(pack, PACK));
    }
}
