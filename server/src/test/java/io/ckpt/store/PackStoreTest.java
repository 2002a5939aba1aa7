package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared append point: one open pack at a time, rotated at the target size, sealed packs
 * recorded in the ledger and never touched again, and no durability claimed after a failure.
 */
final class PackStoreTest {
    /** Records the ledger calls the way the catalog's packs table would. */
    static final class MemoryLedger implements PackLedger {
        final List<Long> created = new ArrayList<>();
        final Map<Long, Long> sealed = new LinkedHashMap<>();

        @Override
        public long createPack() {
            created.add((long) created.size() + 1);
            return created.size();
        }

        @Override
        public void sealPack(long id, long size) {
            sealed.put(id, size);
        }
    }

    @TempDir
    Path dir;
    private Datastore ds;
    private final MemoryLedger ledger = new MemoryLedger();

    @BeforeEach
    void openDatastore() throws IOException {
        ds = Datastore.openOrCreate(dir.resolve("ds"));
    }

    /** A batch of one plain record of {@code n} noise bytes. */
    private static RecordBatch batchOf(ChunkRecord r) {
        RecordBatch b = new RecordBatch(r.recordLength());
        r.addTo(b);
        return b;
    }

    @Test
    void firstAppendCreatesAPackAndPlacesTheBatchAfterTheHeader() throws IOException {
        try (PackStore store = new PackStore(ds, ledger, 1 << 20)) {
            PackStore.Placement p = store.append(batchOf(ChunkRecord.plain(ChunkRecord.noise(1, 100))));
            assertEquals(new PackStore.Placement(1, PackFormat.HEADER_LENGTH), p);
            assertEquals(List.of(1L), ledger.created);
            assertTrue(ledger.sealed.isEmpty(), "the pack stays open");
        }
    }

    @Test
    void batchesShareAPackUntilTheTargetSizeThenRotate() throws IOException {
        ChunkRecord r = ChunkRecord.plain(ChunkRecord.noise(1, 254)); // 300-byte records
        long target = PackFormat.HEADER_LENGTH + 3 * 300;
        try (PackStore store = new PackStore(ds, ledger, target)) {
            List<PackStore.Placement> at = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                at.add(store.append(batchOf(r)));
            }
            assertEquals(List.of(
                    new PackStore.Placement(1, 24), new PackStore.Placement(1, 324), new PackStore.Placement(1, 624),
                    new PackStore.Placement(2, 24), new PackStore.Placement(2, 324), new PackStore.Placement(2, 624),
                    new PackStore.Placement(3, 24)), at);
            assertEquals(Map.of(1L, target, 2L, target), ledger.sealed);
            assertEquals(new PackFooter(3, target), PackFooter.of(ds.packPath(1)));
            assertEquals(new PackFooter(3, target), PackFooter.of(ds.packPath(2)));
        }
        assertEquals(new PackFooter(1, 324), PackFooter.of(ds.packPath(3)), "close seals the open pack");
        assertEquals(324L, ledger.sealed.get(3L));
    }

    @Test
    void sealedPacksDoNotChangeWhileLaterPacksGrow() throws IOException {
        ChunkRecord r = ChunkRecord.plain(ChunkRecord.noise(2, 1000));
        try (PackStore store = new PackStore(ds, ledger, 2500)) {
            store.append(batchOf(r));
            store.append(batchOf(r));
            store.append(batchOf(r)); // rotates
            byte[] sealed = Files.readAllBytes(ds.packPath(1));
            for (int i = 0; i < 5; i++) {
                store.append(batchOf(r));
            }
            assertArrayEquals(sealed, Files.readAllBytes(ds.packPath(1)));
        }
    }

    @Test
    void batchLargerThanTheTargetGoesAloneIntoAFreshPack() throws IOException {
        try (PackStore store = new PackStore(ds, ledger, 1000)) {
            store.append(batchOf(ChunkRecord.plain(ChunkRecord.noise(1, 100))));
            PackStore.Placement big = store.append(batchOf(ChunkRecord.plain(ChunkRecord.noise(2, 5000))));
            PackStore.Placement next = store.append(batchOf(ChunkRecord.plain(ChunkRecord.noise(3, 100))));
            assertEquals(new PackStore.Placement(2, 24), big);
            assertEquals(new PackStore.Placement(3, 24), next);
        }
    }

    @Test
    void recordsReadBackAcrossRotatedPacks() throws IOException {
        List<ChunkRecord> chunks = new ArrayList<>();
        List<PackStore.Placement> at = new ArrayList<>();
        try (PackStore store = new PackStore(ds, ledger, 200_000)) {
            for (int i = 0; i < 40; i++) {
                ChunkRecord r = i % 2 == 0 ? ChunkRecord.plain(ChunkRecord.noise(i, 10_000 + i))
                        : ChunkRecord.lz4(ChunkRecord.text(i, 30_000 + i));
                chunks.add(r);
                at.add(store.append(batchOf(r)));
            }
            store.sync();
            try (ChunkReader reader = new ChunkReader(ds)) {
                for (int i = 0; i < chunks.size(); i++) {
                    assertArrayEquals(chunks.get(i).raw(),
                            chunks.get(i).readBack(reader, at.get(i).packId(), at.get(i).baseOffset()), "chunk " + i);
                }
            }
        }
        assertTrue(ledger.created.size() > 1, "rotated: " + ledger.created);
    }

    @Test
    void concurrentAppendsNeverInterleaveWithinABatch() throws Exception {
        int threads = 4;
        int batches = 40;
        record Appended(ChunkRecord record, long packId, long offset) {}
        List<Appended> all = java.util.Collections.synchronizedList(new ArrayList<>());
        try (PackStore store = new PackStore(ds, ledger, 300_000)) {
            var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        RecordBatch batch = new RecordBatch(64 * 1024);
                        for (int b = 0; b < batches; b++) {
                            batch.clear();
                            List<ChunkRecord> in = new ArrayList<>();
                            for (int r = 0; r < 3; r++) {
                                ChunkRecord rec = ChunkRecord.plain(ChunkRecord.noise(thread * 100_000L + b * 10L + r, 5000 + r));
                                rec.addTo(batch);
                                in.add(rec);
                            }
                            PackStore.Placement p = store.append(batch);
                            for (int r = 0; r < 3; r++) {
                                all.add(new Appended(in.get(r), p.packId(), p.baseOffset() + batch.offset(r)));
                            }
                        }
                        return null;
                    }));
                }
                for (var f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            store.sync();
            try (ChunkReader reader = new ChunkReader(ds)) {
                for (Appended a : all) {
                    assertArrayEquals(a.record().raw(), a.record().readBack(reader, a.packId(), a.offset()));
                }
            }
        }
        assertEquals(threads * batches * 3, all.size());
    }

    @Test
    void syncWorksBeforeTheFirstAppendAfterAppendsAndAfterClose() throws IOException {
        PackStore store = new PackStore(ds, ledger, 1 << 20);
        assertDoesNotThrow(store::sync);
        store.append(batchOf(ChunkRecord.plain(ChunkRecord.noise(1, 100))));
        assertDoesNotThrow(store::sync);
        store.close();
        assertDoesNotThrow(store::sync);
    }

    @Test
    void closedStoreRefusesAppends() throws IOException {
        PackStore store = new PackStore(ds, ledger, 1 << 20);
        store.close();
        StoreException e = assertThrows(StoreException.class,
                () -> store.append(batchOf(ChunkRecord.plain(ChunkRecord.noise(1, 100)))));
        assertTrue(e instanceof StoreException.Closed && e.getMessage().contains("shutting down"), e.getMessage());
        assertTrue(ledger.created.isEmpty());
    }

    @Test
    void afterAWriteErrorTheStoreLeavesThePackOpenAndAppendsToANewOne() throws IOException {
        ChunkRecord r = ChunkRecord.plain(ChunkRecord.noise(1, 100));
        try (PackStore store = new PackStore(ds, ledger, 1 << 20)) {
            store.append(batchOf(r));
            openWriter(store).appender().close(); // the next write to pack 1 fails
            assertThrows(IOException.class, () -> store.append(batchOf(r)));

            PackStore.Placement p = store.append(batchOf(r));
            assertEquals(new PackStore.Placement(2, 24), p);
            assertFalse(ledger.sealed.containsKey(1L), "pack 1 stays open in the ledger: recovery scans it");
            // Pack 1 could not be fsynced (its channel is gone): nothing may claim durability now.
            StoreException e = assertThrows(StoreException.class, store::sync);
            assertTrue(e.getMessage().contains("restart"), e.getMessage());
        }
    }

    /**
     * A pack whose seal fails (footer write or fsync) may hold records of other sessions that were
     * never made durable. Those sessions commit after {@code sync()}, which only fsyncs the pack
     * open at that time: so a failed seal must refuse later syncs, as an abandoned pack whose fsync
     * failed does. Today sync() succeeds.
     */
    @Test
    void afterAFailedSealSyncRefusesToClaimDurability() throws IOException {
        ChunkRecord r = ChunkRecord.plain(ChunkRecord.noise(1, 254));
        try (PackStore store = new PackStore(ds, ledger, PackFormat.HEADER_LENGTH + 300)) {
            store.append(batchOf(r)); // another session's record, not yet durable
            openWriter(store).appender().close(); // sealing pack 1 will fail
            assertThrows(IOException.class, () -> store.append(batchOf(r)), "rotation seals pack 1 and fails");
            assertFalse(ledger.sealed.containsKey(1L));
            assertThrows(StoreException.class, store::sync, "pack 1's records are not known to be durable");
        }
    }

    @Test
    void packIdsComeFromTheLedger() throws IOException {
        PackLedger fromTen = new PackLedger() {
            long next = 10;

            @Override
            public long createPack() {
                return next++;
            }

            @Override
            public void sealPack(long id, long size) {}
        };
        try (PackStore store = new PackStore(ds, fromTen, 1 << 20)) {
            assertEquals(10, store.append(batchOf(ChunkRecord.plain(ChunkRecord.noise(1, 10)))).packId());
        }
        assertTrue(Files.exists(ds.packPath(10)));
        assertNotEquals(ds.packPath(10), ds.packPath(1));
    }

    /** The store's open writer. No public way reaches it, and a test needs its channel to break it. */
    private static PackWriter openWriter(PackStore store) {
        try {
            Field f = PackStore.class.getDeclaredField("current");
            f.setAccessible(true);
            return (PackWriter) f.get(store);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("PackStore has no 'current' writer field any more: update this test", e);
        }
    }
}
