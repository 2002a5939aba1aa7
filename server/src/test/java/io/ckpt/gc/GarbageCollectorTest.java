package io.ckpt.gc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.PackDao;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.catalog.PartDao;
import io.ckpt.catalog.WparDao;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.ingest.ScratchDatastore;
import io.ckpt.restore.ReadersInUse;
import io.ckpt.store.ChunkReader;
import io.ckpt.store.Datastore;
import io.ckpt.store.PackFormat;
import io.ckpt.store.PackStore;
import io.ckpt.store.RecordBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage collection against a real catalog and real pack files: it leaves alone the packs an
 * upload has appended to but not yet recorded (issue 13, defect 2), and it makes the moves of a
 * compaction durable before it unlinks the pack they leave (defect 3).
 */
final class GarbageCollectorTest {
    @TempDir
    Path dir;

    /** One chunk's bytes, its digest and its record batch, the way ingest builds them. */
    private record Chunk(byte[] raw, byte[] digest) {
        static Chunk noise(long seed, int n) {
            byte[] b = new byte[n];
            new SplittableRandom(seed).nextBytes(b);
            return new Chunk(b, ChunkDigest.compute(b, 0, n).toBytes());
        }

        RecordBatch batch() {
            RecordBatch batch = new RecordBatch(PackFormat.RECORD_HEADER_LENGTH + raw.length);
            batch.add(digest, 0, PackFormat.CODEC_NONE, raw.length, raw, 0, raw.length);
            return batch;
        }
    }

    @Test
    void gcBetweenAnAppendAndItsCatalogInsertLeavesThePackAlone() throws IOException {
        Datastore ds = Datastore.openOrCreate(dir.resolve("ds"));
        try (Catalog catalog = Catalog.open(ds.root().resolve("catalog.db"), ds.id())) {
            PackStore packs = new PackStore(ds, catalog, 1); // every append after the first seals the open pack
            GarbageCollector gc = new GarbageCollector(catalog, ds, packs, new ReadersInUse());
            Chunk a = Chunk.noise(1, 10_000);

            // An upload appends its chunk (pack 1), another upload's append seals pack 1 ...
            PackStore.Placement at = packs.append(a.batch());
            PackStore.Placement other = packs.append(Chunk.noise(2, 100).batch());
            assertTrue(other.packId() != at.packId(), "pack " + at.packId() + " sealed by the second append");
            // ... GC runs before the first upload has inserted the chunk's row ...
            gc.collect(false);
            // ... and then the upload records the chunk and commits its checkpoint.
            long cp = commitCheckpointOf(catalog, a, at.packId(), at.baseOffset());
            packs.release(at.packId());
            packs.release(other.packId());

            assertTrue(Files.exists(ds.packPath(at.packId())), "pack " + at.packId() + " holding checkpoint " + cp + "'s chunk");
            gc.collect(false); // now its rows are in: a pack in full use is not compacted either
            assertArrayEquals(a.raw(), readBack(ds, catalog, a), "checkpoint " + cp + "'s chunk read back");
        }
    }

    @Test
    void compactionMakesItsMovesDurableBeforeItUnlinksTheOldPack() throws IOException {
        try (ScratchDatastore s = ScratchDatastore.open(dir.resolve("ds"))) {
            // Checkpoint "keep" uses 1 MiB of pack 1, "gone" the rest of it and more: once "gone" is
            // pruned, pack 1 is mostly garbage and is compacted.
            byte[] keep = new byte[1 << 20];
            byte[] gone = new byte[6 << 20];
            new SplittableRandom(3).nextBytes(keep);
            new SplittableRandom(4).nextBytes(gone);
            long keepId = s.upload("keep", 1, keep).id();
            long goneId = s.upload("gone", 2, gone).id();
            s.catalog().writeDurably(h -> h.attach(CheckpointDao.class).delete(goneId));
            Path pack1 = s.ds().packPath(1);
            assertTrue(Files.exists(pack1));

            // Every statement, in order, with whether pack 1's file still existed when it ran.
            List<String> log = new ArrayList<>();
            s.catalog().jdbi().setSqlLogger(new SqlLogger() {
                @Override
                public void logAfterExecution(StatementContext ctx) {
                    log.add(ctx.getRenderedSql().strip().replaceAll("\\s+", " ") + (Files.exists(pack1) ? "" : " [pack 1 gone]"));
                }
            });
            new GarbageCollector(s.catalog(), s.ds(), s.packs(), new ReadersInUse()).collect(false);
            s.catalog().jdbi().setSqlLogger(SqlLogger.NOP_SQL_LOGGER);

            assertFalse(Files.exists(pack1), "pack 1 was compacted and deleted: " + log);
            int move = indexOf(log, "UPDATE chunks SET pack_id", 0);
            assertTrue(move >= 0, "a chunk was moved out of pack 1: " + log);
            int full = lastIndexBefore(log, "PRAGMA synchronous=", move);
            assertTrue(full >= 0 && log.get(full).startsWith("PRAGMA synchronous=FULL"),
                    "the transaction that moves the chunks is fsynced (synchronous=FULL); before the move: "
                    + (full < 0 ? "no PRAGMA synchronous at all" : log.get(full)));
            int back = indexOf(log, "PRAGMA synchronous=NORMAL", move);
            assertTrue(back > move && !log.get(back).endsWith("[pack 1 gone]"),
                    "pack 1 unlinked only after the durable commit: " + log.subList(move, Math.min(log.size(), back + 1)));
            assertArrayEquals(keep, s.restore(keepId).get(0).bytes(), "checkpoint " + keepId + " after compaction");
        }
    }

    private static int indexOf(List<String> log, String prefix, int from) {
        for (int i = from; i < log.size(); i++) {
            if (log.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexBefore(List<String> log, String prefix, int before) {
        for (int i = before - 1; i >= 0; i--) {
            if (log.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    /** What an upload's batch and commit write: the chunk's row, a one-chunk part, the checkpoint complete. */
    private static long commitCheckpointOf(Catalog catalog, Chunk c, long packId, long offset) throws IOException {
        return catalog.write(h -> {
            h.attach(WparDao.class).ensure("w", 1);
            CheckpointDao cps = h.attach(CheckpointDao.class);
            long cp = cps.create("w", 1, "manual", "host", 1);
            long part = h.attach(PartDao.class).create(cp, 0, "stream", 1, 0, 0, "");
            h.attach(ChunkDao.class).add(List.of(c.digest()), List.of(packId), List.of(offset), List.of(c.raw().length),
                    List.of(c.raw().length), List.of(PackFormat.CODEC_NONE));
            h.attach(PartChunkDao.class).add(part, List.of(0), List.of(c.digest()));
            h.attach(PartDao.class).finish(part, c.raw().length, ChunkDigest.compute(c.raw(), 0, c.raw().length).toBytes(), 1);
            assertEquals(1, cps.markComplete(cp, c.raw().length, c.raw().length, 1, 1, 1, 1));
            return cp;
        });
    }

    /** Reads the chunk from where the catalog says it is now, proving it against its digest. */
    private static byte[] readBack(Datastore ds, Catalog catalog, Chunk c) throws IOException {
        var ref = catalog.read(h -> h.createQuery("SELECT pack_id, offset FROM chunks WHERE digest = ?")
                .bind(0, c.digest()).map((rs, ctx) -> new long[] {rs.getLong(1), rs.getLong(2)}).one());
        assertTrue(catalog.read(h -> h.attach(PackDao.class).ids()).contains(ref[0]), "pack " + ref[0] + " in the catalog");
        byte[] out = new byte[c.raw().length];
        try (ChunkReader reader = new ChunkReader(ds)) {
            reader.read(c.digest(), 0, ref[0], ref[1], c.raw().length, c.raw().length, out, 0);
        }
        return out;
    }
}
