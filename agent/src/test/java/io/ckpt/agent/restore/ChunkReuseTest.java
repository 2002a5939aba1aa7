package io.ckpt.agent.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore from chunks held locally: the local index cuts files where the server does, only the
 * chunks the local copy lacks are fetched, the receiver gets exactly the checkpoint's bytes, and
 * a local file that changed after indexing stops the attempt.
 */
final class ChunkReuseTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The chunks of {@code data} as the server cuts a part: {offset, length} pairs. */
    private static List<int[]> cut(byte[] data) {
        ContentDefinedChunker c = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        List<int[]> out = new ArrayList<>();
        for (int pos = 0; pos < data.length; ) {
            int n = c.nextCut(data, pos, data.length - pos);
            out.add(new int[] {pos, n});
            pos += n;
        }
        return out;
    }

    /** A fake server holding one checkpoint of one file part with {@code data}; counts what it sends. */
    private static final class FakeServer implements ServerLink {
        final byte[] data;
        final List<int[]> chunks;
        long fetched;

        FakeServer(byte[] data) {
            this.data = data;
            this.chunks = cut(data);
        }

        @Override
        public JsonNode request(JsonNode req) {
            assertEquals("chunk_list", req.path("op").asText());
            int from = req.path("from").asInt();
            int to = Math.min(chunks.size(), from + 7); // small pages, so that paging is exercised
            ObjectNode out = JSON.createObjectNode();
            out.putObject("info").put("name", "img").put("type", PartType.FILE.code()).put("mode", 0100600)
                    .put("mtime", 0).put("target", "").put("size", data.length)
                    .put("sha256", HexFormat.of().formatHex(ChunkDigest.sha256().digest(data)));
            StringBuilder hex = new StringBuilder();
            var lengths = out.putArray("lengths");
            for (int i = from; i < to; i++) {
                int[] c = chunks.get(i);
                var sha = ChunkDigest.sha256();
                sha.update(data, c[0], c[1]);
                hex.append(HexFormat.of().formatHex(sha.digest()));
                lengths.add(c[1]);
            }
            return out.put("digests", hex.toString()).put("next", to >= chunks.size() ? -1 : to);
        }

        @Override
        public void restore(long id, CkptClient.RestoreReceiver receiver) {
            throw new AssertionError("a reusing restore does not stream the whole checkpoint");
        }

        @Override
        public InputStream fetch(JsonNode req) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (JsonNode r : req.path("ranges")) {
                for (int i = r.get(0).asInt(); i < r.get(1).asInt(); i++) {
                    int[] c = chunks.get(i);
                    out.write(data, c[0], c[1]);
                }
            }
            fetched += out.size();
            return new ByteArrayInputStream(out.toByteArray());
        }
    }

    /** Collects the bytes of the one part and checks its end like TreeWriter does. */
    private static final class Collector implements CkptClient.RestoreReceiver {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PartInfo part;
        long endLength;

        @Override
        public void header(JsonNode checkpoint) {}

        @Override
        public void beginPart(PartInfo p) {
            part = p;
        }

        @Override
        public void data(ByteBuffer b) {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            bytes.write(a, 0, a.length);
        }

        @Override
        public void endPart(long length, byte[] sha256) {
            endLength = length;
            assertArrayEquals(sha256, ChunkDigest.sha256().digest(bytes.toByteArray()), "part SHA-256");
        }
    }

    @Test
    void onlyTheChangedChunksAreFetchedAndTheBytesAreTheCheckpoints() throws IOException {
        byte[] old = new byte[2 << 20];
        new Random(1).nextBytes(old);
        Files.createDirectories(dir.resolve("earlier/fs"));
        Files.write(dir.resolve("earlier/fs/img"), old);
        byte[] now = java.util.Arrays.copyOf(old, old.length + 100_000);
        for (int i = 0; i < 4096; i++) {
            now[1_000_000 + i] ^= 0x5a; // one change in the middle
        }
        byte[] tail = new byte[100_000];
        new Random(3).nextBytes(tail);
        System.arraycopy(tail, 0, now, old.length, tail.length); // and growth at the end

        ChunkReuse.LocalChunks local = ChunkReuse.index(dir.resolve("earlier"));
        assertEquals(cut(old).size(), local.chunks(), "the local file is cut where the server cuts it");
        FakeServer server = new FakeServer(now);
        Collector c = new Collector();
        ChunkReuse.Stats stats = ChunkReuse.restore(server, 1, JSON.createObjectNode(), 1, local, c);

        assertArrayEquals(now, c.bytes.toByteArray());
        assertEquals(now.length, c.endLength);
        assertEquals(now.length, stats.reused() + stats.fetched());
        assertEquals(server.fetched, stats.fetched());
        assertTrue(stats.fetched() < 300_000, "only the changed and the new chunks travel: " + stats);
        assertTrue(stats.reused() > 1_800_000, stats.toString());
    }

    @Test
    void aLocalFileThatChangedAfterIndexingStopsTheAttempt() throws IOException {
        byte[] old = new byte[1 << 20];
        new Random(4).nextBytes(old);
        Path f = Files.write(Files.createDirectories(dir.resolve("earlier")).resolve("img"), old);
        ChunkReuse.LocalChunks local = ChunkReuse.index(dir.resolve("earlier"));
        byte[] changed = old.clone();
        changed[500_000] ^= 1;
        Files.write(f, changed);
        assertThrows(ChunkReuse.StaleLocal.class,
                () -> ChunkReuse.restore(new FakeServer(old), 1, JSON.createObjectNode(), 1, local, new Collector()));
    }
}
