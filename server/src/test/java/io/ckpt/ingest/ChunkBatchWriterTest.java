package io.ckpt.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.chunk.ChunkDigest;
import io.ckpt.store.PackFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared batch writer: rows with the caller's, one pack write per full batch, pins kept until the rows are in. */
class ChunkBatchWriterTest {
    private static final int CHUNK = 1 << 20;

    @TempDir
    Path dir;

    /** Five 1 MiB raw chunks, one record batch each: the 4 MiB pack rotates, so the first pack is sealed. */
    private static List<byte[]> chunks() {
        Random r = new Random(14);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] b = new byte[CHUNK];
            r.nextBytes(b);
            out.add(b);
        }
        return out;
    }

    private static List<Long> packIds(ScratchDatastore s) throws IOException {
        return s.catalog().read(h -> h.createQuery("SELECT id FROM packs ORDER BY id").mapTo(Long.class).list());
    }

    @Test
    void commitInsertsEveryNewChunkRowAndOnlyThenUnpinsItsSealedPacks() throws IOException {
        try (ScratchDatastore s = ScratchDatastore.open(dir.resolve("ds"))) {
            var w = new ChunkBatchWriter(s.catalog(), s.packs(), CHUNK + PackFormat.RECORD_HEADER_LENGTH);
            List<byte[]> data = chunks();
            List<byte[]> digests = new ArrayList<>();
            data.forEach(b -> digests.add(ChunkDigest.compute(b, 0, b.length).toBytes()));
            boolean[] sawPinned = new boolean[1];
            int[] added = new int[1];
            w.underDedupLock(() -> {
                assertTrue(w.existing(digests).isEmpty());
                for (int i = 0; i < data.size(); i++) {
                    w.add(digests.get(i), PackFormat.CODEC_NONE, CHUNK, data.get(i), 0, CHUNK);
                }
                added[0] = w.commit(h -> {
                    long first = h.createQuery("SELECT min(id) FROM packs").mapTo(Long.class).one();
                    sawPinned[0] = s.packs().isPinned(first); // rows not committed yet
                    return null;
                });
            });
            assertEquals(5, added[0]);
            assertTrue(sawPinned[0], "the sealed first pack was unpinned before its rows committed");
            List<Long> ids = packIds(s);
            assertTrue(ids.size() >= 2, "packs " + ids);
            assertFalse(s.packs().isPinned(ids.get(0)), "pack " + ids.get(0) + " still pinned after the commit");
            assertEquals(5, w.existing(digests).size());
        }
    }

    @Test
    void failedCommitLeavesNoRowsAndKeepsThePinsUntilReleased() throws IOException {
        try (ScratchDatastore s = ScratchDatastore.open(dir.resolve("ds"))) {
            var w = new ChunkBatchWriter(s.catalog(), s.packs(), CHUNK + PackFormat.RECORD_HEADER_LENGTH);
            List<byte[]> data = chunks();
            List<byte[]> digests = new ArrayList<>();
            data.forEach(b -> digests.add(ChunkDigest.compute(b, 0, b.length).toBytes()));
            IOException thrown = assertThrows(IOException.class, () -> w.underDedupLock(() -> {
                for (int i = 0; i < data.size(); i++) {
                    w.add(digests.get(i), PackFormat.CODEC_NONE, CHUNK, data.get(i), 0, CHUNK);
                }
                w.commit(h -> {
                    throw new IOException("caller's rows refused");
                });
            }));
            assertEquals("caller's rows refused", thrown.getMessage());
            assertTrue(w.existing(digests).isEmpty(), "chunk rows committed although the transaction failed");
            long first = packIds(s).get(0);
            assertTrue(s.packs().isPinned(first), "pack " + first + " unpinned before the upload was discarded");
            w.releasePins();
            assertFalse(s.packs().isPinned(first));
            // The dedup lock was released on the way out: the exclusive side is free.
            assertTrue(s.packs().dedupLock().writeLock().tryLock());
            s.packs().dedupLock().writeLock().unlock();
        }
    }
}
