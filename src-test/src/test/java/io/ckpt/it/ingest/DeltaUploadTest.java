package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.RawConnection;
import io.ckpt.it.Sha256;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delta uploads (docs/PROTOCOL.md, "Delta mode") through the real CLI and hand-made frames against
 * a real server whose hosts {@code alpha-host} and {@code beta-host} are in tenants {@code alpha}
 * and {@code beta} (the hidden {@code --tenant} option; every other host is in tenant
 * {@code default}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeltaUploadTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HexFormat HEX = HexFormat.of();
    private static final ObjectMapper JSON = new ObjectMapper();

    ServerProcess server;
    Path datastore;
    Cli ckpt;

    @BeforeAll
    void startServer(@TempDir Path classDir) throws IOException {
        datastore = classDir.resolve("datastore");
        server = ServerProcess.on(datastore)
                .args("--tenant", "alpha-host=alpha", "--tenant", "beta-host=beta").start();
        ckpt = Cli.against(server);
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void fileRestoresBitForBitAndASecondPushWithFivePercentChangedSendsLittle(@TempDir Path dir) throws IOException {
        MemoryImage first = MemoryImage.ofSize(61, 8L << 20);
        Path file = first.writeTo(dir.resolve("app.img"));
        String sha1 = Sha256.of(file);
        JsonNode one = ckpt.run("push", "--wpar", "delta01", "--json", file.toString()).assertOk().json();
        assertEquals("delta", one.path("upload_mode").asText(), one::toString);
        assertEquals(first.size(), one.path("logical_bytes").asLong());
        assertTrue(one.path("bytes_sent").asLong() > 0, one::toString);

        MemoryImage second = first.mutate(0.05, 62);
        second.writeTo(file);
        String sha2 = Sha256.of(file);
        JsonNode two = ckpt.run("push", "--wpar", "delta01", "--json", file.toString()).assertOk().json();
        assertEquals("delta", two.path("upload_mode").asText(), two::toString);
        long sent = two.path("bytes_sent").asLong();
        assertTrue(sent > 0 && sent < second.size() / 5,
                "5% of the pages changed: " + sent + " chunk bytes sent for an image of " + second.size() + ": " + two);
        assertTrue(two.path("new_chunks").asLong() < two.path("chunks").asLong() / 4, two::toString);
        assertEquals(0, one.path("predicted_bytes").asLong(), "nothing to predict from: " + one);
        assertTrue(two.path("predicted_bytes").asLong() > second.size() * 6 / 10,
                "most chunks are taken from the first checkpoint's list without cutting: " + two);

        assertEquals(sha1, restore(dir, "delta01", one.path("id").asLong()), "first checkpoint restored");
        assertEquals(sha2, restore(dir, "delta01", two.path("id").asLong()), "second checkpoint restored");

        // Stream mode cuts the same chunks: pushing the same bytes that way stores nothing new.
        JsonNode stream = ckpt.run("push", "--wpar", "delta02", "--mode", "stream", "--json", file.toString()).assertOk().json();
        assertEquals("stream", stream.path("upload_mode").asText(), stream::toString);
        assertEquals(0, stream.path("new_chunks").asLong(), "delta and stream chunks are the same: " + stream);
    }

    @Test
    void directoryRestoresAsTheSameTree(@TempDir Path dir) throws IOException {
        Path src = DirectoryTreeTest.statefileTree(dir.resolve("state"));
        var before = DirectoryTreeTest.snapshot(src);
        JsonNode pushed = ckpt.run("push", "--wpar", "deltatree", "--json", src.toString()).assertOk().json();
        assertEquals("delta", pushed.path("upload_mode").asText(), pushed::toString);
        Path restored = dir.resolve("restored");
        ckpt.run("restore", "--wpar", "deltatree", "--id", pushed.path("id").asText(), "--to", restored.toString())
                .assertOk();
        assertEquals(before, DirectoryTreeTest.snapshot(restored));

        Cli.Result bad = ckpt.run("push", "--wpar", "deltatree", "--mode", "fast", src.toString()).assertExit(2);
        assertEquals("ckpt: --mode: upload mode 'fast' is neither 'stream' nor 'delta'", bad.stderr().strip());
    }

    @Test
    void chunkWhoseDataDoesNotHashToItsDigestIsRefusedAndNothingBecomesVisible() throws IOException {
        byte[] data = new byte[20_000];
        new Random(5).nextBytes(data);
        byte[] claimed = ChunkDigest.sha256().digest("some other chunk".getBytes());
        try (RawConnection c = RawConnection.open(server.port(), "liar", 1, 2)) {
            begin(c, "liar01");
            c.send(new Frame.PartBegin(new PartInfo("memory.img", PartType.FILE, 0600, 0, "")));
            c.send(new Frame.ChunkData(claimed, data.length, Frame.ChunkData.CODEC_NONE, data));
            Frame.Error e = assertInstanceOf(Frame.Error.class, c.receive(WAIT));
            assertEquals(ErrorCode.CORRUPT, e.code(), e::toString);
            assertTrue(e.message().contains(HEX.formatHex(claimed)), "names the digest: " + e.message());
            assertNull(c.receive(WAIT), "the server closes the connection");
        }
        assertNothingOf("liar01");
    }

    @Test
    void namingAnotherTenantsChunkIsRefusedWhileSendingItStoresNothingTwice(@TempDir Path dir) throws IOException {
        Path file = MemoryImage.ofSize(71, 1L << 20).writeTo(dir.resolve("alpha.img"));
        ckpt.run("push", "--wpar", "alpha01", "--host-id", "alpha-host", file.toString()).assertOk();
        byte[] bytes = Files.readAllBytes(file);
        int n = new ContentDefinedChunker(ChunkerParams.DEFAULT).nextCut(bytes, 0, bytes.length);
        byte[] digest = ChunkDigest.compute(bytes, 0, n).toBytes();

        try (RawConnection c = RawConnection.open(server.port(), "alpha-host", 1, 2)) {
            begin(c, "alpha01");
            c.send(new Frame.ChunkQuery(digest));
            Frame.ChunkMissing m = assertInstanceOf(Frame.ChunkMissing.class, c.receive(WAIT));
            assertFalse(m.missing().get(0), "alpha's own chunk is in alpha's scope");
            c.send(new Frame.UploadAbort("test done"));
        }
        try (RawConnection c = RawConnection.open(server.port(), "beta-host", 1, 2)) {
            begin(c, "beta01");
            c.send(new Frame.ChunkQuery(digest));
            Frame.ChunkMissing m = assertInstanceOf(Frame.ChunkMissing.class, c.receive(WAIT));
            assertTrue(m.missing().get(0), "alpha's chunk is not in beta's scope");
            c.send(new Frame.PartBegin(new PartInfo("stolen.img", PartType.FILE, 0600, 0, "")));
            c.send(new Frame.ChunkRefs(digest, new int[] {n}));
            Frame.Error e = assertInstanceOf(Frame.Error.class, c.receive(WAIT));
            assertEquals(ErrorCode.REFUSED, e.code(), e::toString);
            assertTrue(e.message().contains(HEX.formatHex(digest)) && e.message().contains("tenant 'beta'"), e.message());
            assertNull(c.receive(WAIT), "the server closes the connection");
        }
        assertNothingOf("beta01");

        // Sent for real, the same chunk is accepted, and stored once for both tenants; beta is told it
        // is new, as it is to beta (docs/SECURITY.md, "Tenants": sizes are per tenant).
        long packBytes = packBytes();
        try (RawConnection c = RawConnection.open(server.port(), "beta-host", 1, 2)) {
            begin(c, "beta02");
            c.send(new Frame.PartBegin(new PartInfo("own.img", PartType.FILE, 0600, 0, "")));
            c.send(new Frame.ChunkData(digest, n, Frame.ChunkData.CODEC_NONE, java.util.Arrays.copyOf(bytes, n)));
            c.send(new Frame.ChunkRefs(digest, new int[] {n}));
            c.send(new Frame.PartEnd(n, digest)); // one chunk: the part's SHA-256 is the chunk's
            c.send(new Frame.UploadCommit());
            Frame.UploadCommitted done = assertInstanceOf(Frame.UploadCommitted.class, c.receive(WAIT));
            JsonNode j = JSON.readTree(done.json());
            assertEquals(n, j.path("logical_bytes").asLong(), j::toString);
            assertEquals(1, j.path("new_chunks").asLong(), "new to beta, though alpha stored it: " + j);
            assertEquals(n + 46, j.path("stored_bytes").asLong(), "the record it would take: " + j);
            assertEquals(packBytes, packBytes(), "stored once for both tenants");
            Path restored = dir.resolve("beta.img");
            ckpt.run("restore", "--wpar", "beta02", "--id", j.path("id").asText(), "--to", restored.toString()).assertOk();
            assertEquals(HEX.formatHex(digest), Sha256.of(restored));
        }
    }

    /** The bytes of every pack file in the datastore. */
    private long packBytes() throws IOException {
        try (var files = Files.walk(datastore.resolve("packs"))) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    @Test
    void versionTwoClientFallsBackToStreamAgainstAVersionOneServer(@TempDir Path dir) throws IOException {
        Path file = MemoryImage.ofSize(81, 2L << 20).writeTo(dir.resolve("old.img"));
        String sha = Sha256.of(file);
        try (ServerProcess old = ServerProcess.on(dir.resolve("v1")).args("--protocol-max", "1").start()) {
            try (RawConnection c = RawConnection.open(old.port(), "raw", 1, 2)) {
                assertEquals(1, c.version(), "the highest version both speak");
                c.send(new Frame.UploadBegin("v1wpar", 0, "manual", Frame.UploadBegin.MODE_DELTA, List.of()));
                Frame.Error e = assertInstanceOf(Frame.Error.class, c.receive(WAIT));
                assertEquals(ErrorCode.BAD_REQUEST, e.code());
                assertTrue(e.message().contains("needs protocol version 2"), e.message());
            }
            Cli oldCkpt = Cli.against(old);
            Cli.Result r = oldCkpt.run("push", "--wpar", "v1wpar", "--json", file.toString()).assertOk();
            assertEquals(1, r.stderr().lines().filter(l -> l.contains("protocol version 1")).count(),
                    "one-line notice: " + r.stderr());
            assertTrue(r.stderr().contains("stream mode"), r.stderr());
            assertEquals("stream", r.json().path("upload_mode").asText(), r.stdout());
            Path restored = dir.resolve("restored-v1.img");
            oldCkpt.run("restore", "--wpar", "v1wpar", "--id", r.json().path("id").asText(), "--to", restored.toString())
                    .assertOk();
            assertEquals(sha, Sha256.of(restored));
        }
    }

    @Test
    void versionOneClientWorksUnchangedAgainstAVersionTwoServer(@TempDir Path dir) throws IOException {
        try (RawConnection c = RawConnection.open(server.port(), "raw", 1, 1)) {
            assertEquals(1, c.version());
        }
        try (RawConnection c = RawConnection.open(server.port(), "raw", 1, 2)) {
            assertEquals(2, c.version());
        }
        Path file = MemoryImage.ofSize(91, 2L << 20).writeTo(dir.resolve("v1client.img"));
        String sha = Sha256.of(file);
        List<String> jvm = new ArrayList<>(Cli.QUICK_JVM);
        jvm.add("-Dckpt.protocol.max=1");
        Cli oldClient = ckpt.jvm(jvm);
        Cli.Result r = oldClient.run("push", "--wpar", "v1client", "--json", file.toString()).assertOk();
        assertEquals("stream", r.json().path("upload_mode").asText(), r.stdout());
        Path restored = dir.resolve("restored.img");
        oldClient.run("restore", "--wpar", "v1client", "--id", r.json().path("id").asText(), "--to", restored.toString())
                .assertOk();
        assertEquals(sha, Sha256.of(restored));
    }

    @Test
    @org.junit.jupiter.api.Tag("slow") // a kill -9 round (20-35 s here): run by .ci/run after the default suite
    void serverKilledDuringADeltaUploadKeepsNothingOfItAfterRestart(@TempDir Path dir) throws Exception {
        Path file = MemoryImage.ofSize(111, 1L << 20).writeTo(dir.resolve("before.img"));
        MemoryImage big = MemoryImage.ofSize(112, 2L << 30); // far more than flows before the kill
        ServerProcess first = ServerProcess.start(dir.resolve("datastore"));
        long keptId;
        long killedId;
        try (first) {
            Cli c = Cli.against(first);
            keptId = c.run("push", "--wpar", "kill01", "--json", file.toString()).assertOk().json().path("id").asLong();
            int mark = first.logMark();
            Cli.Running push = c.command("push", "--wpar", "kill01", "--mode", "delta", "-").stdin(big::open).start();
            killedId = Long.parseLong(first.awaitLog(mark, java.util.regex.Pattern.compile(
                    "delta upload of checkpoint (\\d+) for WPAR kill01"), WAIT).group(1));
            // A few windows in: chunks sent, some of them flushed to packs and catalog, no chunk list committed yet.
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (push.stdinBytes() < (24L << 20) && push.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(push.isAlive() && push.stdinBytes() >= (24L << 20), "24 MiB flowed before the kill: "
                    + push.stdinBytes());
            first.kill9();
            assertEquals(4, push.await(WAIT).exitCode(), "the client of a server that died says it is unreachable");
        }
        try (ServerProcess server = first.restart()) {
            server.awaitLog(java.util.regex.Pattern.compile("removed 1 upload\\(s\\) that never completed: \\[" + killedId
                    + "\\]"), Duration.ofSeconds(5));
            Cli c = Cli.against(server);
            JsonNode all = c.run("list", "--all", "--json").assertOk().json().path("checkpoints");
            assertEquals(1, all.size(), all::toString);
            assertEquals(keptId, all.get(0).path("id").asLong());
            Path restored = dir.resolve("restored.img");
            c.run("restore", "--wpar", "kill01", "--id", Long.toString(keptId), "--to", restored.toString()).assertOk();
            assertEquals(Sha256.of(file), Sha256.of(restored));
        }
    }

    private static void begin(RawConnection c, String wpar) throws IOException {
        c.send(new Frame.UploadBegin(wpar, System.currentTimeMillis(), "manual", Frame.UploadBegin.MODE_DELTA, List.of()));
        assertInstanceOf(Frame.UploadStarted.class, c.receive(WAIT));
    }

    private void assertNothingOf(String wpar) {
        JsonNode all = ckpt.run("list", "--all", "--json").assertOk().json();
        for (JsonNode cp : all.path("checkpoints")) {
            assertFalse(cp.path("wpar").asText().equals(wpar), "nothing of the refused upload is left: " + cp);
        }
    }

    private String restore(Path dir, String wpar, long id) throws IOException {
        Path target = dir.resolve("restored-" + id + ".img");
        ckpt.run("restore", "--wpar", wpar, "--id", Long.toString(id), "--to", target.toString()).assertOk();
        return Sha256.of(target);
    }
}
