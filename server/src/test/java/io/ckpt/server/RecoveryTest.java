package io.ckpt.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.PackDao;
import io.ckpt.ingest.IngestSession;
import io.ckpt.ingest.ScratchDatastore;
import io.ckpt.ingest.SyntheticImage;
import io.ckpt.store.PackFooter;
import io.ckpt.store.PackFormat;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up after an unclean stop: uploads that never committed are gone, complete checkpoints
 * restore bit for bit, manifests of checkpoints the catalog deleted are gone, packs left open are
 * cut to their last whole record and sealed, chunk rows that pointed past the cut are forgotten,
 * and tmp/ is empty.
 */
final class RecoveryTest {
    private static final long T = 1_700_000_000_000L;
    private static final int MIB = 1 << 20;

    /** A chunk row: where a digest's record starts. */
    record Location(long packId, long offset, int storedLength) {}

    @TempDir
    Path dir;
    private Path root;

    @BeforeEach
    void paths() {
        root = dir.resolve("ds");
    }

    private static List<Location> chunksIn(ScratchDatastore store, long packId) throws IOException {
        return store.catalog().read(h -> h.createQuery(
                        "SELECT pack_id, offset, stored_length FROM chunks WHERE pack_id = ? ORDER BY offset")
                .bind(0, packId)
                .map((rs, ctx) -> new Location(rs.getLong(1), rs.getLong(2), rs.getInt(3)))
                .list());
    }

    private static long count(ScratchDatastore store, String sql) throws IOException {
        return store.catalog().read(h -> h.createQuery(sql).mapTo(Long.class).one());
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }

    @Test
    void crashDuringAnUploadLeavesTheCompleteCheckpointAndNothingOfTheUpload() throws IOException {
        byte[] imageA = SyntheticImage.of(31, 6 * MIB);
        long a;
        long b;
        long openPack;
        Location cut;
        int forgottenExpected;
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            a = store.upload("web01", T, imageA).id();
            long aChunkRows = count(store, "SELECT COUNT(*) FROM part_chunks");
            List<Location> aRows = store.catalog().read(h -> h.createQuery("SELECT pack_id, offset, stored_length FROM chunks")
                    .map((rs, ctx) -> new Location(rs.getLong(1), rs.getLong(2), rs.getInt(3))).list());

            // B: a whole part and half of another, never committed.
            IngestSession s = store.begin("web01", T + 3_600_000);
            b = s.checkpointId();
            ScratchDatastore.send(s, ScratchDatastore.stream("one"), SyntheticImage.of(32, 10 * MIB));
            s.beginPart(ScratchDatastore.stream("two"));
            ScratchDatastore.feed(s, SyntheticImage.of(33, 3 * MIB));
            assertTrue(count(store, "SELECT COUNT(*) FROM part_chunks") > aChunkRows, "B's chunks reached the catalog");

            List<Long> open = store.catalog().read(h -> h.attach(PackDao.class).open());
            assertEquals(1, open.size(), "one open pack: " + open);
            openPack = open.get(0);
            List<Location> rows = chunksIn(store, openPack);
            List<Location> ofB = rows.stream().filter(l -> !aRows.contains(l)).toList();
            assertTrue(ofB.size() >= 4, ofB.size() + " of B's chunks in the open pack");

            // The crash: the page cache lost the pack's tail from the middle of one of B's records
            // on (A's were fsynced at its commit), and the disk kept garbage after it.
            Location victim = ofB.get(ofB.size() / 2);
            cut = victim;
            forgottenExpected = (int) rows.stream().filter(l -> l.offset() >= victim.offset()).count();
            Path pack = store.ds().packPath(openPack);
            try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.WRITE)) {
                ch.truncate(cut.offset() + PackFormat.RECORD_HEADER_LENGTH + cut.storedLength() / 2);
            }
            byte[] garbage = new byte[5000];
            new SplittableRandom(34).nextBytes(garbage);
            Files.write(pack, garbage, StandardOpenOption.APPEND);
            assertFalse(list(store.ds().tmpDir()).isEmpty(), "B's manifest was being written in tmp/");

            store.crash();
        }

        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            long chunksBefore = count(store, "SELECT COUNT(*) FROM chunks");

            Recovery.run(store.ds(), store.catalog());

            assertFalse(store.catalog().read(h -> h.attach(CheckpointDao.class).find(b)).isPresent(), "B is gone");
            assertEquals(List.of(a), store.catalog().read(h -> h.attach(CheckpointDao.class).listAll())
                    .stream().map(r -> r.id()).toList());
            assertEquals(1, count(store, "SELECT COUNT(*) FROM parts"), "only A's part is left");
            assertArrayEquals(imageA, store.restore(a).get(0).bytes(), "A restores bit for bit");

            assertEquals(List.of(), store.catalog().read(h -> h.attach(PackDao.class).open()), "no pack is open");
            Path pack = store.ds().packPath(openPack);
            PackFooter footer = PackFooter.of(pack);
            assertEquals(cut.offset(), footer.dataEnd(), "cut at the last whole record");
            assertEquals(cut.offset(), (long) store.catalog().<Long>read(h -> h.createQuery(
                    "SELECT size FROM packs WHERE id = ? AND state = 'sealed'").bind(0, openPack).mapTo(Long.class).one()));

            long validLength = cut.offset();
            List<Location> left = chunksIn(store, openPack);
            assertTrue(left.stream().allMatch(l -> l.offset() < validLength), "no row points past the cut");
            assertEquals(forgottenExpected, chunksBefore - count(store, "SELECT COUNT(*) FROM chunks"));
            assertEquals(List.of(), list(store.ds().tmpDir()), "tmp/ is empty");
            assertFalse(Files.exists(store.ds().manifestPath(b)));
        }
    }

    @Test
    void datastoreRecoveredFromACrashTakesNewUploadsThatRestore() throws IOException {
        byte[] imageA = SyntheticImage.of(41, 5 * MIB);
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            store.upload("web01", T, imageA);
            IngestSession s = store.begin("web01", T + 1);
            ScratchDatastore.send(s, ScratchDatastore.stream("one"), SyntheticImage.of(42, 5 * MIB));
            store.crash();
        }
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            Recovery.run(store.ds(), store.catalog());
            byte[] imageC = imageA.clone();
            SyntheticImage.scribble(imageC, 43, 2 * MIB, 4096);
            IngestSession.Committed c = store.upload("web01", T + 2, imageC);
            assertTrue(c.newChunks() < c.chunks() / 4, "C shares A's surviving chunks: " + c.newChunks() + " of " + c.chunks() + " new");
            assertArrayEquals(imageC, store.restore(c.id()).get(0).bytes());
        }
    }

    @Test
    void damagedRecordAmidCleanOnesInAnOpenPackIsForgottenAndTheSameBytesAreStoredAgain() throws IOException {
        byte[] image = SyntheticImage.of(61, 2 * MIB);
        long first;
        Location damaged;
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            first = store.upload("web01", T, image).id();
            long pack = store.catalog().read(h -> h.attach(PackDao.class).open()).get(0);
            List<Location> rows = chunksIn(store, pack);
            assertTrue(rows.size() >= 3, "the image spans several chunks: " + rows);
            damaged = rows.get(rows.size() / 2); // clean records before and after it
            store.crash();
        }
        try (FileChannel ch = FileChannel.open(dir.resolve("ds").resolve(PackFormat.relativePath(damaged.packId())),
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long at = damaged.offset() + PackFormat.RECORD_HEADER_LENGTH + damaged.storedLength() / 2;
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x40)).rewind();
            ch.write(b, at); // bit rot in the payload, offline, while the server is stopped
        }
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            Recovery.run(store.ds(), store.catalog());
            assertFalse(chunksIn(store, damaged.packId()).contains(damaged), "the damaged record's chunk row is forgotten");
            var broken = store.catalog().read(h -> h.attach(io.ckpt.catalog.PartChunkDao.class).partsWithMissingChunks());
            assertEquals(List.of(new io.ckpt.catalog.PartChunkDao.PartUse(first, "stream")), broken,
                    "checkpoint " + first + " is reported as naming a missing chunk (verify says so)");

            IngestSession.Committed again = store.upload("web01", T + 1, image);
            assertTrue(again.newChunks() >= 1, "the forgotten chunk is stored anew, not deduplicated: " + again);
            assertArrayEquals(image, store.restore(again.id()).get(0).bytes(), "checkpoint " + again.id());
            assertArrayEquals(image, store.restore(first).get(0).bytes(), "checkpoint " + first + ", whose chunk is back");
        }
    }

    @Test
    void openPackWhoseFileIsMissingIsForgottenWithItsChunks() throws IOException {
        long pack;
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            IngestSession s = store.begin("web01", T);
            ScratchDatastore.send(s, ScratchDatastore.stream("one"), SyntheticImage.of(51, 2 * MIB));
            pack = store.catalog().read(h -> h.attach(PackDao.class).open()).get(0);
            store.crash();
            Files.delete(store.ds().packPath(pack));
        }
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            Recovery.run(store.ds(), store.catalog());
            assertEquals(0, count(store, "SELECT COUNT(*) FROM chunks"));
            assertEquals(0, count(store, "SELECT COUNT(*) FROM packs"));
            assertEquals(0, count(store, "SELECT COUNT(*) FROM checkpoints"));
        }
    }

    @Test
    void manifestsOfDeletedCheckpointsGoAndManifestsTheCatalogNeverKnewStay() throws IOException {
        long a;
        long b;
        long c;
        Path stranger;
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            a = store.upload("web01", T, SyntheticImage.of(71, MIB)).id();
            b = store.upload("web01", T + 1, SyntheticImage.of(72, MIB)).id();
            c = store.upload("web01", T + 2, SyntheticImage.of(73, MIB)).id();
            // A prune cut off after its commit: B's row is gone, its manifest not yet.
            store.catalog().write(h -> h.attach(CheckpointDao.class).delete(b));
            // A checkpoint this catalog never handed out (a catalog older than the datastore).
            stranger = Files.copy(store.ds().manifestPath(a), store.ds().manifestPath(c + 1));
            store.crash();
        }
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            Recovery.run(store.ds(), store.catalog());
            assertFalse(Files.exists(store.ds().manifestPath(b)), "the manifest of deleted checkpoint " + b + " is gone");
            assertTrue(Files.exists(store.ds().manifestPath(a)) && Files.exists(store.ds().manifestPath(c)), "A's and C's stay");
            assertTrue(Files.exists(stranger), "a manifest above the highest id the catalog handed out stays");
        }
    }

    @Test
    void recoveryAfterACleanStopChangesNothing() throws IOException {
        byte[] image = SyntheticImage.of(61, 5 * MIB);
        long a;
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            a = store.upload("web01", T, image).id();
        }
        try (ScratchDatastore store = ScratchDatastore.open(root)) {
            long chunks = count(store, "SELECT COUNT(*) FROM chunks");
            List<byte[]> packs = packFiles(store);
            Recovery.run(store.ds(), store.catalog());
            assertEquals(chunks, count(store, "SELECT COUNT(*) FROM chunks"));
            List<byte[]> after = packFiles(store);
            assertEquals(packs.size(), after.size());
            for (int i = 0; i < packs.size(); i++) {
                assertArrayEquals(packs.get(i), after.get(i), "pack " + i);
            }
            assertArrayEquals(image, store.restore(a).get(0).bytes());
        }
    }

    private static List<byte[]> packFiles(ScratchDatastore store) throws IOException {
        List<Long> ids = store.catalog().read(h -> h.createQuery("SELECT id FROM packs ORDER BY id").mapTo(Long.class).list());
        List<byte[]> out = new java.util.ArrayList<>();
        for (long id : ids) {
            out.add(Files.readAllBytes(store.ds().packPath(id)));
        }
        return out;
    }
}
