package io.ckpt.ingest;

import static io.ckpt.ingest.ScratchDatastore.feed;
import static io.ckpt.ingest.ScratchDatastore.send;
import static io.ckpt.ingest.ScratchDatastore.stream;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.ChunkRef;
import io.ckpt.catalog.LabelDao;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.catalog.PartDao;
import io.ckpt.catalog.PartRow;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.manifest.CheckpointHeader;
import io.ckpt.manifest.ManifestReader;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.restore.MemorySink;
import io.ckpt.restore.RestoreSink;
import io.ckpt.restore.Restorer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A stream upload through its public calls: what comes back is what went in, bytes the datastore
 * has are not stored again, damaged or out-of-order uploads are refused, an aborted upload
 * leaves no checkpoint, and the manifest written at commit agrees with the catalog.
 */
final class IngestSessionTest {
    private static final long T = 1_700_000_000_000L;
    private static final int MIB = 1 << 20;
    private static final byte[] EMPTY_SHA = sha256(new byte[0]);

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

    private static byte[] sha256(byte[] b) {
        return ChunkDigest.compute(b, 0, b.length).toBytes();
    }

    private CheckpointRow row(long id) throws IOException {
        return store.catalog().read(h -> h.attach(CheckpointDao.class).find(id)).orElseThrow();
    }

    private long count(String sql) throws IOException {
        return store.catalog().read(h -> h.createQuery(sql).mapTo(Long.class).one());
    }

    private List<Path> tmpFiles() throws IOException {
        try (Stream<Path> s = Files.list(store.ds().tmpDir())) {
            return s.toList();
        }
    }

    // --- what comes back is what went in ------------------------------------------------------

    @Test
    void checkpointOfEveryPartTypeRestoresByteForByte() throws IOException {
        byte[] image = SyntheticImage.of(1, 20 * MIB + 12_345);
        byte[] stdout = SyntheticImage.of(2, 3 * MIB);
        List<PartInfo> infos = List.of(
                new PartInfo("statefile", PartType.DIRECTORY, 040755, T - 3000, ""),
                new PartInfo("statefile/memory.img", PartType.FILE, 0100600, T - 2000, ""),
                new PartInfo("statefile/empty.log", PartType.FILE, 0100644, T - 1000, ""),
                new PartInfo("statefile/current", PartType.SYMLINK, 0120777, T - 500, "memory.img"),
                stream("stdout"));
        List<byte[]> contents = List.of(new byte[0], image, new byte[0], new byte[0], stdout);

        IngestSession s = store.begin("web01", T);
        for (int i = 0; i < infos.size(); i++) {
            send(s, infos.get(i), contents.get(i));
        }
        IngestSession.Committed c = s.commit();

        assertEquals(5, c.parts());
        assertEquals(image.length + stdout.length, c.logicalBytes());
        List<MemorySink.Part> restored = store.restore(c.id());
        assertEquals(infos, restored.stream().map(MemorySink.Part::info).toList());
        for (int i = 0; i < infos.size(); i++) {
            MemorySink.Part p = restored.get(i);
            assertArrayEquals(contents.get(i), p.bytes(), p.info().name());
            assertEquals(contents.get(i).length, p.length(), p.info().name());
            assertArrayEquals(sha256(contents.get(i)), p.sha256(), p.info().name());
        }
        assertEquals(Set.of(0, 1), Set.copyOf(store.catalog().read(h -> h.createQuery(
                "SELECT DISTINCT codec FROM chunks").mapTo(Integer.class).list())), "plain and LZ4 chunks both stored");
        assertTrue(count("SELECT COUNT(*) FROM packs") > 1, "the checkpoint spans packs");
    }

    @Test
    void commitMakesTheCheckpointCompleteWithItsCounts() throws IOException {
        byte[] a = SyntheticImage.of(3, 5 * MIB);
        byte[] b = SyntheticImage.of(4, 2 * MIB + 1);
        IngestSession s = store.begin("web01", T);
        assertEquals("uploading", row(s.checkpointId()).state());
        send(s, stream("a"), a);
        send(s, stream("b"), b);
        IngestSession.Committed c = s.commit();

        CheckpointRow r = row(c.id());
        assertEquals("complete", r.state());
        assertEquals("web01", r.wpar());
        assertEquals(T, r.takenAt());
        assertEquals(a.length + b.length, r.logicalBytes());
        assertEquals(c.storedBytes(), r.storedBytes());
        assertEquals(c.chunks(), r.chunkCount());
        assertEquals(c.newChunks(), r.newChunkCount());
        assertEquals(2, r.partCount());
        assertNotNull(r.completedAt());
        assertTrue(r.completedAt() >= r.createdAt());
        List<PartRow> parts = store.catalog().read(h -> h.attach(PartDao.class).of(c.id()));
        assertEquals(c.chunks(), parts.stream().mapToLong(PartRow::chunkCount).sum());
        assertArrayEquals(sha256(a), parts.get(0).sha256());
        assertEquals(b.length, parts.get(1).size());
        assertTrue(Files.exists(store.ds().manifestPath(c.id())));
        assertEquals(List.of(), tmpFiles(), "the manifest left tmp/");
    }

    @Test
    void secondIdenticalStreamStoresNoNewBytes() throws IOException {
        byte[] image = SyntheticImage.of(5, 12 * MIB);
        IngestSession.Committed first = store.upload("web01", T, image);
        long chunks = store.catalog().read(h -> h.attach(ChunkDao.class).count());

        IngestSession.Committed second = store.upload("web01", T + 3_600_000, image);

        assertTrue(first.storedBytes() > 0);
        assertEquals(0, second.storedBytes());
        assertEquals(0, second.newChunks());
        assertEquals(first.chunks(), second.chunks());
        assertEquals(chunks, store.catalog().<Long>read(h -> h.attach(ChunkDao.class).count()));
        assertArrayEquals(image, store.restore(second.id()).get(0).bytes());
    }

    @Test
    void streamWithAFewChangedRegionsStoresOnlyASmallFraction() throws IOException {
        byte[] before = SyntheticImage.of(6, 16 * MIB);
        byte[] after = before.clone();
        for (int k = 0; k < 5; k++) {
            SyntheticImage.scribble(after, 100 + k, (3 * k + 1) * MIB + 777, 200);
        }
        IngestSession.Committed first = store.upload("web01", T, before);
        IngestSession.Committed second = store.upload("web01", T + 3_600_000, after);

        assertTrue(second.storedBytes() * 50 < first.storedBytes(),
                "5 changed regions stored " + second.storedBytes() + " of " + first.storedBytes() + " bytes");
        assertTrue(second.newChunks() <= 15, second.newChunks() + " new chunks");
        assertArrayEquals(before, store.restore(first.id()).get(0).bytes());
        assertArrayEquals(after, store.restore(second.id()).get(0).bytes());
    }

    /** Hashes and counts what a restore sends, without keeping it. */
    private static final class HashingSink implements RestoreSink {
        final MessageDigest sha = ChunkDigest.sha256();
        long bytes;
        boolean allZero = true;

        @Override
        public void beginPart(PartInfo part) {}

        @Override
        public ByteBuf allocate(int capacity) {
            return Unpooled.buffer(capacity);
        }

        @Override
        public void data(ByteBuf data) {
            try {
                byte[] b = new byte[data.readableBytes()];
                data.readBytes(b);
                sha.update(b);
                bytes += b.length;
                for (byte x : b) {
                    allZero &= x == 0;
                }
            } finally {
                data.release();
            }
        }

        @Override
        public void endPart(long length, byte[] sha256) {}
    }

    @Test
    void allZeroStreamOf64MiBStoresAlmostNothing() throws IOException {
        byte[] zeros = new byte[MIB];
        MessageDigest sha = ChunkDigest.sha256();
        IngestSession s = store.begin("idle01", T);
        s.beginPart(stream("stream"));
        for (int i = 0; i < 64; i++) {
            s.data(Unpooled.wrappedBuffer(zeros));
            sha.update(zeros);
        }
        byte[] expected = sha.digest();
        s.endPart(64L * MIB, expected);
        IngestSession.Committed c = s.commit();

        assertEquals(64L * MIB, c.logicalBytes());
        assertTrue(c.storedBytes() < 64 * 1024, c.storedBytes() + " bytes stored for 64 MiB of zeros");
        assertTrue(c.newChunks() <= 2, c.newChunks() + " distinct chunks");

        Restorer restorer = new Restorer(store.catalog(), store.ds());
        HashingSink sink = new HashingSink();
        restorer.restore(restorer.checkpoint(c.id()), sink);
        assertEquals(64L * MIB, sink.bytes);
        assertTrue(sink.allZero);
        assertArrayEquals(expected, sink.sha.digest());
    }

    @Test
    void concurrentUploadsSharingContentBothRestore() throws Exception {
        byte[] shared = SyntheticImage.of(7, 6 * MIB);
        byte[][] images = new byte[2][];
        for (int i = 0; i < 2; i++) {
            images[i] = new byte[12 * MIB];
            System.arraycopy(shared, 0, images[i], 0, shared.length);
            System.arraycopy(SyntheticImage.of(8 + i, 6 * MIB), 0, images[i], shared.length, 6 * MIB);
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<IngestSession.Committed>> done = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                byte[] image = images[i];
                String wpar = "app0" + i;
                done.add(pool.submit(() -> store.upload(wpar, T, image)));
            }
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(images[i], store.restore(done.get(i).get().id()).get(0).bytes(), "upload " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // --- damaged uploads ----------------------------------------------------------------------

    @Test
    void wrongPartSha256AtPartEndIsCorrupt() throws IOException {
        byte[] data = SyntheticImage.of(10, MIB + 5);
        byte[] wrong = sha256(data);
        wrong[31] ^= 1;
        IngestSession s = store.begin("web01", T);
        s.beginPart(stream("memory.img"));
        feed(s, data);
        RequestRefusedException e = assertThrows(RequestRefusedException.class, () -> s.endPart(data.length, wrong));
        assertEquals(ErrorCode.CORRUPT, e.code());
        assertTrue(e.getMessage().contains("'memory.img'"), e.getMessage());
        s.abort();
        assertEquals(0, count("SELECT COUNT(*) FROM checkpoints"));
    }

    @Test
    void wrongPartLengthAtPartEndIsCorrupt() throws IOException {
        byte[] data = SyntheticImage.of(11, MIB + 5);
        IngestSession s = store.begin("web01", T);
        s.beginPart(stream("memory.img"));
        feed(s, data);
        RequestRefusedException e = assertThrows(RequestRefusedException.class, () -> s.endPart(data.length + 1, sha256(data)));
        assertEquals(ErrorCode.CORRUPT, e.code());
        assertTrue(e.getMessage().contains(Integer.toString(data.length)), e.getMessage());
        assertTrue(e.getMessage().contains(Integer.toString(data.length + 1)), e.getMessage());
    }

    // --- abort --------------------------------------------------------------------------------

    @Test
    void abortRemovesTheCheckpointItsPartsAndItsManifest() throws IOException {
        IngestSession s = store.begin("web01", T);
        send(s, stream("one"), SyntheticImage.of(12, 9 * MIB));
        s.beginPart(stream("two"));
        feed(s, SyntheticImage.of(13, 2 * MIB));
        long id = s.checkpointId();

        s.abort();

        assertFalse(store.catalog().read(h -> h.attach(CheckpointDao.class).find(id)).isPresent());
        for (String table : new String[] {"checkpoints", "parts", "part_chunks", "labels"}) {
            assertEquals(0, count("SELECT COUNT(*) FROM " + table), table);
        }
        assertEquals(List.of(), tmpFiles());
        assertFalse(Files.exists(store.ds().manifestPath(id)));
        s.abort(); // twice is harmless
    }

    @Test
    void abortAfterCommitKeepsTheCheckpoint() throws IOException {
        IngestSession s = store.begin("web01", T);
        send(s, stream("one"), SyntheticImage.of(14, MIB));
        long id = s.commit().id();
        s.abort();
        assertEquals("complete", row(id).state());
    }

    @Test
    void failedCommitLeavesNoCheckpointBehind() throws IOException {
        IngestSession s = store.begin("web01", T);
        send(s, stream("one"), SyntheticImage.of(15, MIB));
        Path manifests = store.ds().root().resolve("manifests");
        Files.delete(manifests);
        Files.writeString(manifests, "in the way"); // the manifest cannot be renamed into place
        try {
            assertThrows(IOException.class, s::commit);
            s.abort(); // what a connection handler does after a failure: harmless
            assertFalse(store.catalog().read(h -> h.attach(CheckpointDao.class).find(s.checkpointId())).isPresent(),
                    "the failed upload is still in the catalog");
            assertEquals(0, count("SELECT COUNT(*) FROM parts"));
            assertEquals(List.of(), tmpFiles());
        } finally {
            Files.delete(manifests);
            Files.createDirectory(manifests);
        }
    }

    // --- refused calls ------------------------------------------------------------------------

    private static void assertBadRequest(org.junit.jupiter.api.function.Executable call, String expectedText) {
        RequestRefusedException e = assertThrows(RequestRefusedException.class, call);
        assertEquals(ErrorCode.BAD_REQUEST, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(expectedText), "'" + e.getMessage() + "' should mention '" + expectedText + "'");
    }

    @Test
    void dataOutsideAPartIsRefused() throws IOException {
        IngestSession s = store.begin("web01", T);
        assertBadRequest(() -> s.data(Unpooled.wrappedBuffer(new byte[10])), "outside a part");
        send(s, stream("one"), new byte[10]);
        assertBadRequest(() -> s.data(Unpooled.wrappedBuffer(new byte[10])), "outside a part");
    }

    @Test
    void commitInsideAPartIsRefusedAndTheUploadCanGoOn() throws IOException {
        byte[] data = SyntheticImage.of(16, 100_000);
        IngestSession s = store.begin("web01", T);
        s.beginPart(stream("one"));
        feed(s, data);
        assertBadRequest(s::commit, "'one'");
        s.endPart(data.length, sha256(data));
        long id = s.commit().id();
        assertArrayEquals(data, store.restore(id).get(0).bytes());
    }

    @Test
    void partBegunInsideAnotherPartIsRefused() throws IOException {
        IngestSession s = store.begin("web01", T);
        s.beginPart(stream("one"));
        assertBadRequest(() -> s.beginPart(stream("two")), "before part 'one' ended");
    }

    @Test
    void partNameSentTwiceIsRefused() throws IOException {
        IngestSession s = store.begin("web01", T);
        send(s, stream("one"), new byte[1]);
        assertBadRequest(() -> s.beginPart(stream("one")), "sent twice");
    }

    @Test
    void partNamedUnderAFileOrALinkIsRefused() throws IOException {
        IngestSession s = store.begin("web01", T);
        send(s, new PartInfo("dir", PartType.DIRECTORY, 040755, T, ""), new byte[0]);
        send(s, new PartInfo("dir/link", PartType.SYMLINK, 0120777, T, "/etc"), new byte[0]);
        send(s, new PartInfo("dir/file", PartType.FILE, 0100644, T, ""), new byte[3]);
        send(s, new PartInfo("dir/sub/deeper", PartType.FILE, 0100644, T, ""), new byte[3]); // parent not sent: fine
        assertBadRequest(() -> s.beginPart(new PartInfo("dir/link/passwd", PartType.FILE, 0100644, T, "")), "'dir/link'");
        assertBadRequest(() -> s.beginPart(new PartInfo("dir/file/x/y", PartType.FILE, 0100644, T, "")), "'dir/file'");
    }

    @Test
    void dataForADirectoryPartIsRefused() throws IOException {
        IngestSession s = store.begin("web01", T);
        s.beginPart(new PartInfo("statefile", PartType.DIRECTORY, 040755, T, ""));
        assertBadRequest(() -> s.data(Unpooled.wrappedBuffer(new byte[1])), "DIRECTORY");
    }

    @Test
    void partEndOutsideAPartIsRefused() throws IOException {
        IngestSession s = store.begin("web01", T);
        assertBadRequest(() -> s.endPart(0, EMPTY_SHA), "outside a part");
    }

    @Test
    void secondCommitAndPartsAfterCommitAreRefused() throws IOException {
        IngestSession s = store.begin("web01", T);
        send(s, stream("one"), new byte[1]);
        s.commit();
        assertBadRequest(s::commit, "finished");
        assertBadRequest(() -> s.beginPart(stream("two")), "after commit");
    }

    static Stream<String> invalidWparNames() {
        return Stream.of("", "../x", "a b", "x".repeat(65), ".hidden", "-x", "a/b", "a\u0000b", "wpär");
    }

    @ParameterizedTest
    @MethodSource("invalidWparNames")
    void invalidWparNameIsRefusedBeforeAnythingIsWritten(String wpar) throws IOException {
        assertBadRequest(() -> store.begin(wpar, T), "invalid WPAR name");
        assertEquals(0, count("SELECT COUNT(*) FROM checkpoints"));
        assertEquals(0, count("SELECT COUNT(*) FROM wpars"));
        assertEquals(List.of(), tmpFiles());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "9", "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww", "web_01.prod-2", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"})
    void validWparNameIsAccepted(String wpar) throws IOException {
        store.begin(wpar, T).abort();
    }

    @Test
    void invalidKindOrLabelIsRefused() {
        assertBadRequest(() -> IngestSession.begin(store.ds(), store.catalog(), store.packs(), ChunkerParams.DEFAULT,
                UploadRequest.of("web01", T, "Scheduled", List.of(), "h")), "kind");
        assertBadRequest(() -> IngestSession.begin(store.ds(), store.catalog(), store.packs(), ChunkerParams.DEFAULT,
                UploadRequest.of("web01", T, "scheduled", List.of("ok", ""), "h")), "label");
        assertBadRequest(() -> IngestSession.begin(store.ds(), store.catalog(), store.packs(), ChunkerParams.DEFAULT,
                UploadRequest.of("web01", T, "scheduled", List.of("=x"), "h")), "label");
    }

    // --- manifest -----------------------------------------------------------------------------

    /** What a manifest says, collected per part. */
    private static final class ManifestContent implements ManifestReader.Visitor {
        CheckpointHeader header;
        final List<PartInfo> parts = new ArrayList<>();
        final List<List<String>> digests = new ArrayList<>();
        final List<Long> rawSums = new ArrayList<>();
        final List<Long> lengths = new ArrayList<>();
        final List<String> shas = new ArrayList<>();

        @Override
        public void header(CheckpointHeader h) {
            header = h;
        }

        @Override
        public void beginPart(PartInfo part) {
            parts.add(part);
            digests.add(new ArrayList<>());
            rawSums.add(0L);
        }

        @Override
        public void chunk(byte[] digest, int rawLength) {
            digests.get(digests.size() - 1).add(HexFormat.of().formatHex(digest));
            rawSums.set(rawSums.size() - 1, rawSums.get(rawSums.size() - 1) + rawLength);
        }

        @Override
        public void endPart(long length, byte[] sha256, int chunkCount) {
            lengths.add(length);
            shas.add(HexFormat.of().formatHex(sha256));
        }
    }

    @Test
    void manifestWrittenAtCommitListsTheSameChunksAsTheCatalog() throws IOException {
        byte[] image = SyntheticImage.of(17, 10 * MIB + 3);
        byte[] log = SyntheticImage.of(18, 300_000);
        IngestSession s = IngestSession.begin(store.ds(), store.catalog(), store.packs(), ChunkerParams.DEFAULT,
                UploadRequest.of("db01", T, "manual", List.of("pre-upgrade", "ticket=42"), "host7"));
        send(s, new PartInfo("statefile", PartType.DIRECTORY, 040700, T, ""), new byte[0]);
        send(s, new PartInfo("statefile/memory.img", PartType.FILE, 0100600, T, ""), image);
        send(s, stream("log"), log);
        long id = s.commit().id();

        ManifestContent m = new ManifestContent();
        Path file = store.ds().manifestPath(id);
        try (InputStream in = Files.newInputStream(file)) {
            ManifestReader.read(in, file.toString(), m);
        }

        assertEquals(new CheckpointHeader(id, "db01", T, "manual", List.of("pre-upgrade", "ticket=42")), m.header);
        assertEquals(List.of("pre-upgrade", "ticket=42"), store.catalog().read(h -> h.attach(LabelDao.class).of(id)));
        List<PartRow> parts = store.catalog().read(h -> h.attach(PartDao.class).of(id));
        assertEquals(parts.stream().map(PartRow::info).toList(), m.parts);
        for (int i = 0; i < parts.size(); i++) {
            PartRow p = parts.get(i);
            List<ChunkRef> refs = store.catalog().read(h -> h.attach(PartChunkDao.class).page(p.id(), 0, 1_000_000));
            assertEquals(refs.stream().map(r -> HexFormat.of().formatHex(r.digest())).toList(), m.digests.get(i), p.info().name());
            assertEquals(p.size(), m.lengths.get(i));
            assertEquals(p.size(), m.rawSums.get(i), "chunk lengths add up to the part");
            assertEquals(HexFormat.of().formatHex(p.sha256()), m.shas.get(i));
        }
        assertEquals(List.of(0L, (long) image.length, (long) log.length), m.lengths);
    }

    // --- configuration ------------------------------------------------------------------------

    @Test
    void chunkerParamsGivenToBeginAreUsed() throws IOException {
        ChunkerParams small = new ChunkerParams(256, 1024, 4096);
        byte[] data = SyntheticImage.of(19, 2 * MIB);
        IngestSession s = IngestSession.begin(store.ds(), store.catalog(), store.packs(), small,
                UploadRequest.of("web01", T, "scheduled", List.of(), "h"));
        send(s, stream("one"), data);
        long id = s.commit().id();
        int largest = store.catalog().read(h -> h.createQuery("SELECT MAX(raw_length) FROM chunks").mapTo(Integer.class).one());
        assertTrue(largest <= small.maxSize(), "largest chunk " + largest + " > " + small.maxSize());
        assertArrayEquals(data, store.restore(id).get(0).bytes());
    }
}
