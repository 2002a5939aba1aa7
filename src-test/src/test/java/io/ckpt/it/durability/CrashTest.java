package io.ckpt.it.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.RawConnection;
import io.ckpt.it.Sha256;
import io.ckpt.it.ingest.DirectoryTreeTest;
import io.ckpt.it.restore.PushRestoreTest;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An upload cut off by a dead client, a dead server or damaged bytes leaves nothing that looks like a checkpoint. */
public class CrashTest {
    private static final long BIG = 2L << 30; // far more than flows before the kill
    private static final long FLOWED = 96L << 20;

    @Test
    void clientKilledMidUploadLeavesNoVisibleCheckpoint(@TempDir Path dir) throws IOException {
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server);
            int mark = server.logMark();
            Cli.Running push = ckpt.command("push", "--wpar", "killed01", "-")
                    .stdin(() -> MemoryImage.ofSize(51, BIG).open()).start();
            long id = awaitUploadStarted(server, mark, "killed01");
            awaitFlowed(push, server);
            assertEquals("uploading", PushRestoreTest.entry(ckpt.run("list", "--all", "--json").assertOk().json(), id)
                    .path("state").asText(), "list --all shows the upload while it runs");

            push.kill9();

            awaitGone(ckpt, id, server);
            assertEquals(0, ckpt.run("list", "--json").assertOk().json().path("checkpoints").size());
            ckpt.run("restore", "--wpar", "killed01", "--latest", "--to", dir.resolve("x").toString()).assertExit(3);
            server.awaitLog(Pattern.compile("checkpoint " + id + " \\(WPAR killed01\\): upload discarded"), Duration.ofSeconds(5));
        }
    }

    @Test
    void serverKilledMidUploadDiscardsItAtRestartAndKeepsEveryEarlierCheckpoint(@TempDir Path dir) throws IOException {
        Path file = MemoryImage.ofSize(61, 8L << 20).writeTo(dir.resolve("file.img"));
        Path tree = DirectoryTreeTest.statefileTree(dir.resolve("tree"));
        MemoryImage stream = MemoryImage.ofSize(62, 4L << 20);
        MemoryImage big = MemoryImage.ofSize(64, BIG);
        long fileId;
        long treeId;
        long streamId;
        long killedId;
        ServerProcess first = ServerProcess.start(dir.resolve("datastore"));
        try (first) {
            Cli ckpt = Cli.against(first);
            fileId = ckpt.run("push", "--wpar", "crash02", "--json", file.toString()).assertOk().json().path("id").asLong();
            treeId = ckpt.run("push", "--wpar", "crash02", "--json", tree.toString()).assertOk().json().path("id").asLong();
            streamId = ckpt.command("push", "--wpar", "crash03", "--json", "-").stdin(stream::open).run()
                    .assertOk().json().path("id").asLong();
            int mark = first.logMark();
            Cli.Running push = ckpt.command("push", "--wpar", "crash02", "-").stdin(big::open).start();
            killedId = awaitUploadStarted(first, mark, "crash02");
            awaitFlowed(push, first);

            first.kill9();

            Cli.Result cut = push.await(Duration.ofSeconds(60));
            assertEquals(4, cut.exitCode(), () -> "the client of a server that died says it is unreachable: " + cut);
            PushRestoreTest.errorLine(cut);
        }

        try (ServerProcess server = first.restart()) {
            server.awaitLog(Pattern.compile("removed 1 upload\\(s\\) that never completed: \\[" + killedId + "\\]"),
                    Duration.ofSeconds(5));
            Cli ckpt = Cli.against(server);
            JsonNode all = ckpt.run("list", "--all", "--json").assertOk().json();
            assertEquals(List.of(fileId, treeId, streamId), ids(all), "every earlier checkpoint, and only those: " + all);
            for (JsonNode c : all.path("checkpoints")) {
                assertEquals("complete", c.path("state").asText(), c::toString);
            }

            Path restoredFile = dir.resolve("restored.img");
            ckpt.run("restore", "--wpar", "crash02", "--id", Long.toString(fileId), "--to", restoredFile.toString()).assertOk();
            assertEquals(Sha256.of(file), Sha256.of(restoredFile), "file checkpoint restored");
            Path restoredTree = dir.resolve("restored-tree");
            ckpt.run("restore", "--wpar", "crash02", "--id", Long.toString(treeId), "--to", restoredTree.toString()).assertOk();
            assertEquals(DirectoryTreeTest.snapshot(tree), DirectoryTreeTest.snapshot(restoredTree), "tree checkpoint restored");
            assertEquals(stream.sha256(), restoreToStdout(ckpt, "crash03", streamId), "stream checkpoint restored");

            // A new upload of what the killed one had sent reuses whatever chunks recovery kept: it must still come back whole.
            long again = ckpt.command("push", "--wpar", "crash02", "--json", "-").stdin(() -> big.prefix(FLOWED)).run()
                    .assertOk().json().path("id").asLong();
            String expected;
            try (InputStream in = big.prefix(FLOWED)) {
                expected = Sha256.of(in);
            }
            assertEquals(expected, restoreToStdout(ckpt, "crash02", again), "new push after recovery restored");
        }
    }

    @Test
    void partEndWithWrongSha256IsRefusedAndLeavesNothing(@TempDir Path dir) throws IOException {
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            long now = System.currentTimeMillis();
            long id;
            try (RawConnection raw = RawConnection.open(server.port())) {
                raw.send(new Frame.UploadBegin("badsum01", now, "manual", Frame.UploadBegin.MODE_STREAM, List.of()));
                id = assertInstanceOf(Frame.UploadStarted.class, raw.receive(Duration.ofSeconds(10))).checkpointId();
                raw.send(new Frame.PartBegin(new PartInfo("image.bin", PartType.STREAM, 0600, now, "")));
                byte[] slice = new byte[1 << 20];
                try (InputStream in = MemoryImage.ofSize(71, 4L << 20).open()) {
                    for (int i = 0; i < 4; i++) {
                        in.readNBytes(slice, 0, slice.length);
                        raw.sendData(slice);
                    }
                }
                byte[] wrong = Sha256.digest().digest("not these bytes".getBytes());
                raw.send(new Frame.PartEnd(4L << 20, wrong));
                raw.send(new Frame.UploadCommit());

                Frame answer = raw.receive(Duration.ofSeconds(30));
                Frame.Error error = assertInstanceOf(Frame.Error.class, answer, () -> "answer to a wrong SHA-256: " + answer);
                assertEquals(ErrorCode.CORRUPT, error.code(), error::toString);
                assertTrue(error.message().contains("SHA-256") && error.message().contains("image.bin"),
                        "names the part and what did not match: " + error.message());
                assertNull(raw.receive(Duration.ofSeconds(10)), "the server closes the connection after refusing the upload");
            }
            Cli ckpt = Cli.against(server);
            awaitGone(ckpt, id, server);
            assertEquals(0, ckpt.run("list", "--json").assertOk().json().path("checkpoints").size());
        }
    }

    /** The id of the next upload for {@code wpar} that the server logs as started after {@code mark}. */
    public static long awaitUploadStarted(ServerProcess server, int mark, String wpar) {
        return Long.parseLong(server.awaitLog(mark, Pattern.compile("upload of checkpoint (\\d+) for WPAR " + Pattern.quote(wpar)
                + " from .* started"), Duration.ofSeconds(60)).group(1));
    }

    /** Waits until {@link #FLOWED} bytes went into the client: with its buffers full, most reached the server. */
    public static void awaitFlowed(Cli.Running push, ServerProcess server) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (push.stdinBytes() < FLOWED) {
            if (!push.isAlive()) {
                fail("the push ended before the kill: " + push.await(Duration.ofSeconds(5)) + "\nserver log:\n" + server.log());
            }
            if (System.nanoTime() > deadline) {
                fail("only " + push.stdinBytes() + " bytes flowed in 60 s; server log:\n" + server.log());
            }
            sleep(20);
        }
    }

    /** Polls {@code list --all} until checkpoint {@code id} is not in it. */
    static void awaitGone(Cli ckpt, long id, ServerProcess server) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            JsonNode all = ckpt.run("list", "--all", "--json").assertOk().json();
            if (!ids(all).contains(id)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail("checkpoint " + id + " still listed 30 s after its upload was cut off: " + all
                        + "\nserver log:\n" + server.log());
            }
            sleep(500);
        }
    }

    public static List<Long> ids(JsonNode list) {
        List<Long> ids = new ArrayList<>();
        list.path("checkpoints").forEach(c -> ids.add(c.path("id").asLong()));
        return ids;
    }

    static String restoreToStdout(Cli ckpt, String wpar, long id) {
        Sha256.Sink out = new Sha256.Sink();
        ckpt.command("restore", "--wpar", wpar, "--id", Long.toString(id), "--to", "-").stdout(out).run().assertOk();
        return out.hex();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
