package io.ckpt.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.catalog.ChunkDao;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import io.ckpt.gc.GarbageCollector;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.restore.ReadersInUse;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delta upload through IngestSession's public calls, as ConnectionHandler makes them: chunks are
 * proven against their digests, the dedup scope is the tenant's, a chunk sent before the chunk list
 * that names it survives garbage collection, and what comes back from a restore is what went in.
 */
final class DeltaIngestTest {
    private static final long T = 1_700_000_000_000L;
    private static final HexFormat HEX = HexFormat.of();
    private static final LZ4Compressor LZ4 = LZ4Factory.fastestInstance().fastCompressor();

    @TempDir
    Path dir;
    private ScratchDatastore store;

    @BeforeEach
    void open() throws IOException {
        store = ScratchDatastore.open(dir.resolve("ds"));
    }

    @AfterEach
    void close() throws IOException {
        store.close();
    }

    /** One chunk of an image: where it lies and its digest. */
    private record Chunk(int off, int len, byte[] digest) {}

    private static List<Chunk> cut(byte[] image) {
        ContentDefinedChunker chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        List<Chunk> chunks = new ArrayList<>();
        for (int pos = 0; pos < image.length; ) {
            int n = chunker.nextCut(image, pos, image.length - pos);
            chunks.add(new Chunk(pos, n, ChunkDigest.compute(image, pos, n).toBytes()));
            pos += n;
        }
        return chunks;
    }

    /** Half random, half runs of one byte: some chunks compress, some do not. */
    private static byte[] image(long seed, int size) {
        Random r = new Random(seed);
        byte[] b = new byte[size];
        for (int off = 0; off < size; off += 16 * 1024) {
            int n = Math.min(16 * 1024, size - off);
            if (r.nextBoolean()) {
                byte[] page = new byte[n];
                r.nextBytes(page);
                System.arraycopy(page, 0, b, off, n);
            } else {
                Arrays.fill(b, off, off + n, (byte) r.nextInt());
            }
        }
        return b;
    }

    private static Frame.ChunkData data(byte[] image, Chunk c) {
        byte[] out = new byte[LZ4.maxCompressedLength(c.len())];
        int n = LZ4.compress(image, c.off(), c.len(), out, 0, out.length);
        if (n < c.len() - (c.len() >> 4)) {
            return new Frame.ChunkData(c.digest(), c.len(), Frame.ChunkData.CODEC_LZ4, Arrays.copyOf(out, n));
        }
        return new Frame.ChunkData(c.digest(), c.len(), Frame.ChunkData.CODEC_NONE,
                Arrays.copyOfRange(image, c.off(), c.off() + c.len()));
    }

    private static Frame.ChunkRefs refs(List<Chunk> chunks) {
        byte[] d = new byte[chunks.size() * 32];
        int[] len = new int[chunks.size()];
        for (int i = 0; i < chunks.size(); i++) {
            System.arraycopy(chunks.get(i).digest(), 0, d, i * 32, 32);
            len[i] = chunks.get(i).len();
        }
        return new Frame.ChunkRefs(d, len);
    }

    private static Frame.ChunkQuery query(List<Chunk> chunks) {
        return new Frame.ChunkQuery(refs(chunks).digests());
    }

    private IngestSession begin(String wpar, String tenant) throws IOException {
        return IngestSession.begin(store.ds(), store.catalog(), store.packs(), ChunkerParams.DEFAULT,
                UploadRequest.of(wpar, T, "scheduled", List.of(),
                        tenant.equals(UploadRequest.DEFAULT_TENANT) ? "test-host" : "host-" + tenant)
                        .forTenant(tenant).inDeltaMode(true));
    }

    private static PartInfo file(String name) {
        return new PartInfo(name, PartType.FILE, 0600, 0, "");
    }

    /** The whole client side of one part: query in batches, send the missing chunks, then the refs. */
    private static void sendPart(IngestSession s, String name, byte[] image) throws IOException {
        List<Chunk> chunks = cut(image);
        s.beginPart(file(name));
        for (int from = 0; from < chunks.size(); from += Frame.ChunkQuery.MAX_DIGESTS) {
            List<Chunk> batch = chunks.subList(from, Math.min(chunks.size(), from + Frame.ChunkQuery.MAX_DIGESTS));
            BitSet missing = s.missing(query(batch));
            for (int i = missing.nextSetBit(0); i >= 0; i = missing.nextSetBit(i + 1)) {
                s.chunkData(data(image, batch.get(i)));
            }
            s.chunkRefs(refs(batch));
        }
        s.endPart(image.length, ChunkDigest.compute(image, 0, image.length).toBytes());
    }

    @Test
    void deltaUploadRestoresItsBytesAndItsChunksAreTheStreamModeChunks() throws IOException {
        byte[] image = image(1, 3 << 20);
        IngestSession s = begin("web01", UploadRequest.DEFAULT_TENANT);
        sendPart(s, "memory.img", image);
        IngestSession.Committed c = s.commit();
        int distinct = (int) cut(image).stream().map(ch -> HEX.formatHex(ch.digest())).distinct().count();
        assertEquals(image.length, c.logicalBytes());
        assertEquals(cut(image).size(), c.chunks());
        assertEquals(distinct, c.newChunks());
        assertTrue(c.storedBytes() > 0 && c.storedBytes() < image.length, "runs compress: " + c.storedBytes());
        assertArrayEquals(image, store.restore(c.id()).get(0).bytes());
        assertEquals(0, store.catalog().<Integer>read(h -> h.createQuery("SELECT COUNT(*) FROM upload_chunks")
                .mapTo(Integer.class).one()), "the commit forgets what the upload sent");

        IngestSession.Committed again = store.upload("web01", T + 1, image);
        assertEquals(0, again.newChunks(), "stream mode cuts the same chunks");

        IngestSession second = begin("web01", UploadRequest.DEFAULT_TENANT);
        second.beginPart(file("memory.img"));
        assertEquals(new BitSet(), second.missing(query(cut(image))), "every chunk is present now");
        second.abort();
    }

    @Test
    void chunkWhoseDataDoesNotHashToItsDigestIsRefusedNamingTheDigest() throws IOException {
        byte[] image = image(2, 100_000);
        Chunk c = cut(image).get(0);
        byte[] wrong = c.digest().clone();
        wrong[0] ^= 1;
        IngestSession s = begin("web01", UploadRequest.DEFAULT_TENANT);
        Frame.ChunkData honest = data(image, c);
        RequestRefusedException e = assertThrows(RequestRefusedException.class, () -> s.chunkData(
                new Frame.ChunkData(wrong, honest.rawLength(), honest.codec(), honest.payload())));
        assertEquals(ErrorCode.CORRUPT, e.code());
        assertTrue(e.getMessage().contains(HEX.formatHex(wrong)) && e.getMessage().contains(HEX.formatHex(c.digest())),
                e.getMessage());
        s.abort();
        assertEquals(0, store.catalog().<Long>read(h -> h.attach(ChunkDao.class).count()), "nothing stored");
    }

    @Test
    void referenceToAChunkOutsideTheTenantsScopeIsRefused() throws IOException {
        byte[] image = image(3, 200_000);
        List<Chunk> chunks = cut(image);
        IngestSession alpha = begin("alpha01", "alpha");
        sendPart(alpha, "memory.img", image);
        IngestSession.Committed fresh = alpha.commit();

        IngestSession own = begin("alpha01", "alpha");
        own.beginPart(file("again.img"));
        assertEquals(new BitSet(), own.missing(query(chunks)), "alpha's chunks are in alpha's scope");
        own.abort();

        IngestSession beta = begin("beta01", "beta");
        beta.beginPart(file("stolen.img"));
        BitSet all = new BitSet();
        all.set(0, chunks.size());
        assertEquals(all, beta.missing(query(chunks)), "alpha's chunks are not in beta's scope");
        RequestRefusedException e = assertThrows(RequestRefusedException.class, () -> beta.chunkRefs(refs(chunks.subList(0, 1))));
        assertEquals(ErrorCode.REFUSED, e.code());
        assertTrue(e.getMessage().contains(HEX.formatHex(chunks.get(0).digest())) && e.getMessage().contains("'beta'"),
                e.getMessage());
        beta.abort();

        // Sent by beta, alpha's chunks are referenced, not stored again; beta is told they are new to
        // it, exactly as alpha was (docs/SECURITY.md, "Tenants": sizes are per tenant).
        long stored = store.catalog().<Long>read(h -> h.attach(ChunkDao.class).count());
        IngestSession honest = begin("beta01", "beta");
        sendPart(honest, "memory.img", image);
        IngestSession.Committed c = honest.commit();
        assertEquals(fresh.newChunks(), c.newChunks());
        assertEquals(fresh.storedBytes(), c.storedBytes());
        assertEquals(stored, store.catalog().<Long>read(h -> h.attach(ChunkDao.class).count()), "nothing stored twice");
        assertArrayEquals(image, store.restore(c.id()).get(0).bytes());
    }

    @Test
    void referenceToAChunkNobodyStoredIsRefusedWithASingleTenant() throws IOException {
        byte[] image = image(4, 50_000);
        IngestSession s = begin("web01", UploadRequest.DEFAULT_TENANT);
        s.beginPart(file("memory.img"));
        RequestRefusedException e = assertThrows(RequestRefusedException.class, () -> s.chunkRefs(refs(cut(image))));
        assertEquals(ErrorCode.REFUSED, e.code());
        s.abort();
    }

    @Test
    void referenceWithAnotherLengthThanTheStoredChunksIsCorrupt() throws IOException {
        byte[] image = image(8, 50_000);
        Chunk c = cut(image).get(0);
        IngestSession s = begin("web01", UploadRequest.DEFAULT_TENANT);
        s.beginPart(file("memory.img"));
        s.chunkData(data(image, c));
        RequestRefusedException e = assertThrows(RequestRefusedException.class,
                () -> s.chunkRefs(new Frame.ChunkRefs(c.digest(), new int[] {c.len() + 1})));
        assertEquals(ErrorCode.CORRUPT, e.code());
        assertTrue(e.getMessage().contains("length " + (c.len() + 1) + " != " + c.len()), e.getMessage());
        s.abort();
    }

    @Test
    void partLengthOtherThanTheSumOfItsChunksIsCorrupt() throws IOException {
        byte[] image = image(5, 50_000);
        List<Chunk> chunks = cut(image);
        IngestSession s = begin("web01", UploadRequest.DEFAULT_TENANT);
        s.beginPart(file("memory.img"));
        for (Chunk c : chunks) {
            s.chunkData(data(image, c));
        }
        s.chunkRefs(refs(chunks));
        RequestRefusedException e = assertThrows(RequestRefusedException.class,
                () -> s.endPart(image.length + 1, ChunkDigest.compute(image, 0, image.length).toBytes()));
        assertEquals(ErrorCode.CORRUPT, e.code());
        assertTrue(e.getMessage().contains("add up to " + image.length), e.getMessage());
        s.abort();
    }

    @Test
    void chunksSentBeforeTheirReferencesSurviveGarbageCollection() throws IOException {
        byte[] image = image(6, 5 << 20); // more than one flush of proven chunks
        List<Chunk> chunks = cut(image);
        IngestSession s = begin("web01", UploadRequest.DEFAULT_TENANT);
        s.beginPart(file("memory.img"));
        for (Chunk c : chunks) {
            s.chunkData(data(image, c));
        }
        long flushed = store.catalog().<Long>read(h -> h.attach(ChunkDao.class).count());
        assertTrue(flushed > 0, "some chunks reached the catalog before any reference");
        GarbageCollector gc = new GarbageCollector(store.catalog(), store.ds(), store.packs(), new ReadersInUse());
        gc.collect(false);
        assertEquals(flushed, store.catalog().<Long>read(h -> h.attach(ChunkDao.class).count()),
                "chunks an upload in progress sent are not garbage");
        s.chunkRefs(refs(chunks));
        s.endPart(image.length, ChunkDigest.compute(image, 0, image.length).toBytes());
        IngestSession.Committed c = s.commit();
        assertArrayEquals(image, store.restore(c.id()).get(0).bytes());

        IngestSession aborted = begin("web02", UploadRequest.DEFAULT_TENANT);
        byte[] other = image(7, 6 << 20);
        for (Chunk ch : cut(other)) {
            aborted.chunkData(data(other, ch));
        }
        long kept = chunks.stream().map(ch -> HEX.formatHex(ch.digest())).distinct().count();
        assertTrue(store.catalog().<Long>read(h -> h.attach(ChunkDao.class).count()) > kept, "the aborted upload flushed");
        aborted.abort();
        gc.collect(false);
        assertEquals(kept, store.catalog().<Long>read(h -> h.attach(ChunkDao.class).count()),
                "an aborted upload's chunks are garbage once it is gone");
    }
}
