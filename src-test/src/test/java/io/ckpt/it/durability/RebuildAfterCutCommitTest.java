package io.ckpt.it.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.it.Cli;
import io.ckpt.it.RawConnection;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kill -9 between the two steps of a commit (the manifest renamed into {@code manifests/}, then
 * the catalog transaction that marks the checkpoint complete), followed by {@code rebuild-catalog}
 * before the server starts again: the upload was never acknowledged and the catalog never called
 * it complete, so the rebuilt catalog must not list it (issue 13, "found by reading").
 *
 * <p>How the kill lands in that window: the test holds SQLite's write lock on the catalog from its
 * own connection ({@code BEGIN IMMEDIATE}) after the part has ended, then sends the commit. The
 * server fsyncs the pack, writes and renames the manifest, and blocks on the lock at its commit
 * transaction; the test sees the manifest appear and kills the server there.
 */
@Tag("slow") // several server and client JVMs: run by .ci/run after the default suite
class RebuildAfterCutCommitTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anUploadKilledBetweenManifestAndCommitIsNotBroughtBackByRebuildCatalog(@TempDir Path dir) throws Exception {
        Path datastore = dir.resolve("datastore");
        ServerProcess server = ServerProcess.on(datastore).start();
        try {
            Cli ckpt = Cli.against(server);
            String wpar = "cut01";
            Path first = dir.resolve("first.img");
            Files.write(first, bytes(1, 1 << 20));
            long committed = ckpt.run("push", "--wpar", wpar, "--host-id", "host-a", "--json", first.toString())
                    .assertOk().json().path("id").asLong();

            long cut;
            byte[] image = bytes(2, 1 << 20);
            Path catalogFile = datastore.resolve("catalog.db");
            try (RawConnection a = RawConnection.open(server.port(), "host-a", 1, 2);
                    Connection db = DriverManager.getConnection("jdbc:sqlite:" + catalogFile)) {
                a.send(new Frame.UploadBegin(wpar, System.currentTimeMillis(), "manual", Frame.UploadBegin.MODE_STREAM, List.of()));
                cut = assertInstanceOf(Frame.UploadStarted.class, a.receive(WAIT)).checkpointId();
                a.send(new Frame.PartBegin(new PartInfo("memory.img", PartType.FILE, 0600, 0, "")));
                a.sendData(image);
                a.send(new Frame.PartEnd(image.length, ChunkDigest.sha256().digest(image)));
                awaitPartEnded(db, cut);
                try (Statement s = db.createStatement()) {
                    s.execute("BEGIN IMMEDIATE"); // the server's commit transaction now waits for this lock
                }
                a.send(new Frame.UploadCommit());
                Path manifest = datastore.resolve("manifests").resolve(String.format("%016x.manifest", cut));
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (!Files.exists(manifest)) {
                    assertTrue(System.nanoTime() < deadline, "the manifest of checkpoint " + cut + " never appeared");
                    Thread.sleep(5);
                }
                server.kill9(); // manifest in manifests/, commit transaction not run: the upload is not complete
                try (Statement s = db.createStatement()) {
                    s.execute("ROLLBACK");
                }
            }

            // The catalog is lost with the crash; the operator rebuilds it before starting the server.
            for (String f : new String[] {"catalog.db", "catalog.db-wal", "catalog.db-shm"}) {
                Files.deleteIfExists(datastore.resolve(f));
            }
            RebuildCatalogTest.Exited rebuild = RebuildCatalogTest.runServerCommand("rebuild-catalog", "--datastore",
                    datastore.toString(), "--json");
            assertEquals(0, rebuild.exitCode(), "an upload cut off before its commit is not damage: " + rebuild.output());
            JsonNode report = JSON.readTree(rebuild.output().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
            assertEquals(1, report.path("checkpoints").asInt(), "only the committed checkpoint: " + report);

            server = server.restart();
            ckpt = Cli.against(server);
            List<Long> listed = new ArrayList<>();
            ckpt.run("list", "--wpar", wpar, "--json").assertOk().json().path("checkpoints")
                    .forEach(cp -> listed.add(cp.path("id").asLong()));
            assertFalse(listed.contains(cut), "checkpoint " + cut + " never committed (killed before its commit"
                    + " transaction), yet the rebuilt catalog lists it as complete: " + listed);
            assertEquals(List.of(committed), listed, "the committed checkpoint is still there");
            Path restored = dir.resolve("restored");
            ckpt.run("restore", "--host-id", "host-a", "--wpar", wpar, "--id", Long.toString(committed), "--to", restored.toString()).assertOk();
            // A new checkpoint never takes the id of the one cut off (its manifest is kept aside).
            long next = ckpt.run("push", "--wpar", wpar, "--host-id", "host-a", "--json", first.toString())
                    .assertOk().json().path("id").asLong();
            assertTrue(next > cut, "new checkpoint " + next + " after " + cut);
        } finally {
            server.close();
        }
    }

    /** Waits until the server has finished the part (its size and SHA-256 are in the catalog). */
    private static void awaitPartEnded(Connection db, long checkpointId) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        try (PreparedStatement q = db.prepareStatement("SELECT COUNT(*) FROM parts WHERE checkpoint_id = ? AND sha256 IS NOT NULL")) {
            q.setLong(1, checkpointId);
            while (true) {
                try (ResultSet rs = q.executeQuery()) {
                    if (rs.next() && rs.getInt(1) == 1) {
                        return;
                    }
                }
                assertTrue(System.nanoTime() < deadline, "the part of checkpoint " + checkpointId + " never ended");
                Thread.sleep(5);
            }
        }
    }

    private static byte[] bytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
