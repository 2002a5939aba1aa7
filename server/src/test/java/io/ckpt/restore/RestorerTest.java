package io.ckpt.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.catalog.ChunkRef;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.catalog.PartDao;
import io.ckpt.catalog.PartRow;
import io.ckpt.ingest.IngestSession;
import io.ckpt.ingest.ScratchDatastore;
import io.ckpt.ingest.SyntheticImage;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.store.PackFormat;
import io.ckpt.store.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore hands back a complete checkpoint's bytes, or fails naming the checkpoint, the part and
 * the byte offset where the stored data stopped being right. It never passes on wrong bytes.
 */
class RestorerTest {
    private static final long T = 1_700_000_000_000L;

    @TempDir
    Path dir;
    private ScratchDatastore store;
    private Restorer restorer;
    private byte[] image;
    private long id;

    @BeforeEach
    void uploadOne() throws IOException {
        store = ScratchDatastore.open(dir.resolve("ds"));
        restorer = newRestorer(store);
        image = SyntheticImage.of(21, 9 << 20);
        IngestSession s = store.begin("web01", T);
        ScratchDatastore.send(s, new PartInfo("statefile", PartType.DIRECTORY, 040755, T, ""), new byte[0]);
        ScratchDatastore.send(s, new PartInfo("statefile/memory.img", PartType.FILE, 0100600, T, ""), image);
        id = s.commit().id();
    }

    /** The restorer under test: reading on the calling thread here, ahead on another in a subclass. */
    Restorer newRestorer(ScratchDatastore store) {
        return new Restorer(store.catalog(), store.ds());
    }

    @AfterEach
    void close() throws IOException {
        store.close();
    }

    private PartRow imagePart() throws IOException {
        return store.catalog().read(h -> h.attach(PartDao.class).of(id)).get(1);
    }

    private List<ChunkRef> chunksOf(PartRow part) throws IOException {
        return store.catalog().read(h -> h.attach(PartChunkDao.class).page(part.id(), 0, Integer.MAX_VALUE));
    }

    private StoreException.Corrupt restoreFails() {
        return assertThrows(StoreException.Corrupt.class, () -> restorer.restore(restorer.checkpoint(id), new MemorySink()));
    }

    @Test
    void completeCheckpointRestoresInPartOrder() throws IOException {
        MemorySink sink = new MemorySink();
        restorer.restore(restorer.checkpoint(id), sink);
        assertEquals(List.of("statefile", "statefile/memory.img"), sink.parts().stream().map(p -> p.info().name()).toList());
        assertArrayEquals(image, sink.parts().get(1).bytes());
        assertTrue(sink.buffers() > 1, "a 9 MiB part comes in several buffers");
    }

    @Test
    void flippedPackByteFailsTheRestoreNamingCheckpointPartAndOffset() throws IOException {
        PartRow part = imagePart();
        List<ChunkRef> chunks = chunksOf(part);
        int victim = chunks.size() / 2;
        long partOffset = 0;
        for (int i = 0; i < victim; i++) {
            partOffset += chunks.get(i).rawLength();
        }
        ChunkRef c = chunks.get(victim);
        flipByte(store.ds().packPath(c.packId()), c.offset() + PackFormat.RECORD_HEADER_LENGTH + c.storedLength() / 2);

        StoreException.Corrupt e = restoreFails();

        String m = e.getMessage();
        assertTrue(m.contains("checkpoint " + id), m);
        assertTrue(m.contains("WPAR web01"), m);
        assertTrue(m.contains("part 'statefile/memory.img'"), m);
        assertTrue(m.contains("at byte offset " + partOffset), m);
        assertTrue(m.contains(PackFormat.relativePath(c.packId()) + " offset " + c.offset()), m);
    }

    @Test
    void restoreStopsBeforeTheDamagedChunkReachesTheSink() throws IOException {
        PartRow part = imagePart();
        ChunkRef first = chunksOf(part).get(0);
        flipByte(store.ds().packPath(first.packId()), first.offset() + PackFormat.RECORD_HEADER_LENGTH);
        MemorySink sink = new MemorySink();
        assertThrows(StoreException.Corrupt.class, () -> restorer.restore(restorer.checkpoint(id), sink));
        assertEquals(0, sink.buffers(), "no byte of the damaged part was handed on");
    }

    @Test
    void missingPackFailsTheRestoreAsCorrupt() throws IOException {
        ChunkRef c = chunksOf(imagePart()).get(0);
        Files.delete(store.ds().packPath(c.packId()));
        String m = restoreFails().getMessage();
        assertTrue(m.contains("checkpoint " + id) && m.contains("missing"), m);
    }

    @Test
    void chunkWithoutALocationFailsTheRestoreAsCorrupt() throws IOException {
        ChunkRef c = chunksOf(imagePart()).get(3);
        store.catalog().write(h -> h.execute("DELETE FROM chunks WHERE digest = ?", (Object) c.digest()));
        String m = restoreFails().getMessage();
        assertTrue(m.contains("has no location"), m);
    }

    @Test
    void missingChunkListEntryFailsTheRestoreAsCorrupt() throws IOException {
        PartRow part = imagePart();
        store.catalog().write(h -> h.execute("DELETE FROM part_chunks WHERE part_id = ? AND seq = 2", part.id()));
        String m = restoreFails().getMessage();
        assertTrue(m.contains("chunk 2 missing"), m);
    }

    @Test
    void uploadingCheckpointIsNotFound() throws IOException {
        IngestSession s = store.begin("web01", T + 1);
        ScratchDatastore.send(s, ScratchDatastore.stream("stream"), new byte[100]);
        NotFoundException e = assertThrows(NotFoundException.class, () -> restorer.checkpoint(s.checkpointId()));
        assertTrue(e.getMessage().contains("uploading"), e.getMessage());
        s.abort();
    }

    @Test
    void unknownCheckpointIsNotFound() {
        NotFoundException e = assertThrows(NotFoundException.class, () -> restorer.checkpoint(id + 1000));
        assertTrue(e.getMessage().contains(Long.toString(id + 1000)), e.getMessage());
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, position);
            one.put(0, (byte) ~one.get(0)).rewind();
            ch.write(one, position);
        }
    }
}
