package io.ckpt.it.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.it.durability.CrashTest;
import io.ckpt.it.restore.PushRestoreTest;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting, stopping and restarting the server: clean stops, the catalog elsewhere, datastores it must not touch. */
class ServerLifecycleTest {
    @Test
    void sigtermStopsTheServerWithExitStatusZero(@TempDir Path dir) throws IOException {
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Path image = MemoryImage.ofSize(101, 1L << 20).writeTo(dir.resolve("term.img"));
            Cli.against(server).run("push", "--wpar", "term01", image.toString()).assertOk();

            server.stop();

            assertTrue(server.log().contains("stopped"), server.log());
        }
    }

    @Test
    void restartAfterSigtermSeesEveryCheckpoint(@TempDir Path dir) throws IOException {
        Path datastore = dir.resolve("datastore");
        Path a = MemoryImage.ofSize(102, 3L << 20).writeTo(dir.resolve("a.img"));
        Path b = MemoryImage.ofSize(103, 3L << 20).writeTo(dir.resolve("b.img"));
        ServerProcess first = ServerProcess.start(datastore);
        JsonNode before;
        try (first) {
            Cli ckpt = Cli.against(first);
            ckpt.run("push", "--wpar", "term02", a.toString()).assertOk();
            ckpt.run("push", "--wpar", "term03", b.toString()).assertOk();
            before = ckpt.run("list", "--json").assertOk().json();
            first.terminate(); // the exit status is judged by sigtermStopsTheServerWithExitStatusZero
        }

        try (ServerProcess second = first.restart()) {
            Cli ckpt = Cli.against(second);
            assertEquals(before, ckpt.run("list", "--json").assertOk().json(), "the same checkpoints after the restart");
            Path restored = dir.resolve("b.restored");
            ckpt.run("restore", "--wpar", "term03", "--latest", "--to", restored.toString()).assertOk();
            assertEquals(Sha256.of(b), Sha256.of(restored));
        }
    }

    @Test
    void sigtermDuringAnUploadStopsPromptlyAndKeepsNothingOfTheUpload(@TempDir Path dir) throws IOException {
        Path image = MemoryImage.ofSize(104, 2L << 20).writeTo(dir.resolve("kept.img"));
        ServerProcess first = ServerProcess.start(dir.resolve("datastore"));
        long kept;
        long cut;
        try (first) {
            Cli ckpt = Cli.against(first);
            kept = ckpt.run("push", "--wpar", "term04", "--json", image.toString()).assertOk().json().path("id").asLong();
            int mark = first.logMark();
            Cli.Running push = ckpt.command("push", "--wpar", "term04", "-")
                    .stdin(() -> MemoryImage.ofSize(105, 2L << 30).open()).start();
            cut = CrashTest.awaitUploadStarted(first, mark, "term04");
            CrashTest.awaitFlowed(push, first);

            first.stop(); // within STOP_TIMEOUT, status 0, although an upload was streaming in

            Cli.Result r = push.await(Duration.ofSeconds(60));
            assertNotEquals(0, r.exitCode(), () -> "the upload cut off by the stop failed: " + r);
            PushRestoreTest.errorLine(r);
        }

        try (ServerProcess second = first.restart()) {
            Cli ckpt = Cli.against(second);
            assertEquals(List.of(kept), CrashTest.ids(ckpt.run("list", "--all", "--json").assertOk().json()),
                    "checkpoint " + cut + " was cut off by the stop; only " + kept + " is kept");
            Path restored = dir.resolve("kept.restored");
            ckpt.run("restore", "--wpar", "term04", "--latest", "--to", restored.toString()).assertOk();
            assertEquals(Sha256.of(image), Sha256.of(restored));
        }
    }

    @Test
    void catalogElsewhereIsUsedAndKeepsEveryCheckpointAcrossRestarts(@TempDir Path dir) throws IOException {
        Path datastore = dir.resolve("datastore");
        Path catalog = dir.resolve("local/db/ckpt-catalog.db");
        Path a = MemoryImage.ofSize(111, 2L << 20).writeTo(dir.resolve("a.img"));
        Path b = MemoryImage.ofSize(112, 2L << 20).writeTo(dir.resolve("b.img"));
        ServerProcess first = ServerProcess.on(datastore).catalog(catalog).start();
        List<Long> ids;
        try (first) {
            Cli ckpt = Cli.against(first);
            ckpt.run("push", "--wpar", "nfs01", a.toString()).assertOk();
            ckpt.run("push", "--wpar", "nfs01", b.toString()).assertOk();
            ids = CrashTest.ids(ckpt.run("list", "--json").assertOk().json());
            assertTrue(Files.isRegularFile(catalog), "catalog at " + catalog);
            assertFalse(Files.exists(datastore.resolve("catalog.db")), "no catalog in the datastore");
            first.terminate();
        }

        try (ServerProcess second = first.restart()) {
            Cli ckpt = Cli.against(second);
            assertEquals(ids, CrashTest.ids(ckpt.run("list", "--json").assertOk().json()));
            assertEquals(2, ids.size());
            Path restored = dir.resolve("a.restored");
            ckpt.run("restore", "--wpar", "nfs01", "--id", Long.toString(ids.get(0)), "--to", restored.toString()).assertOk();
            assertEquals(Sha256.of(a), Sha256.of(restored));
            assertFalse(Files.exists(datastore.resolve("catalog.db")), "still no catalog in the datastore");
        }
    }

    @Test
    void startWithoutItsCatalogIsRefusedAndOverwritesNothing(@TempDir Path dir) throws IOException {
        Path datastore = dir.resolve("datastore");
        Path catalog = dir.resolve("local/ckpt-catalog.db");
        Path a = MemoryImage.ofSize(113, 2L << 20).writeTo(dir.resolve("a.img"));
        Path b = MemoryImage.ofSize(114, 2L << 20).writeTo(dir.resolve("b.img"));
        ServerProcess withCatalog = ServerProcess.on(datastore).catalog(catalog).start();
        try (withCatalog) {
            Cli.against(withCatalog).run("push", "--wpar", "nfs02", a.toString()).assertOk();
            withCatalog.terminate();
        }
        Map<Path, String> packs = packDigests(datastore);

        // Forgetting --catalog must not start an empty catalog over the packs: the next pack would take an existing name.
        try (ServerProcess forgot = ServerProcess.on(datastore).startOrExit()) {
            if (forgot.listening()) {
                Cli.against(forgot).run("push", "--wpar", "nfs02", b.toString()).assertOk();
                forgot.terminate();
                Map<Path, String> after = packDigests(datastore);
                after.keySet().retainAll(packs.keySet());
                assertEquals(packs, after, "a server without its catalog rewrote existing packs; its log:\n" + forgot.log());
                fail("a server started on a datastore with packs but an empty catalog (no --catalog); its log:\n" + forgot.log());
            }
            assertEquals(1, forgot.exitCode(), forgot.log());
            assertTrue(forgot.log().contains("--catalog"), "points at --catalog: " + forgot.log());
        }
        assertEquals(packs, packDigests(datastore), "packs untouched");

        try (ServerProcess again = withCatalog.restart()) {
            Path restored = dir.resolve("a.restored");
            Cli.against(again).run("restore", "--wpar", "nfs02", "--latest", "--to", restored.toString()).assertOk();
            assertEquals(Sha256.of(a), Sha256.of(restored));
        }
    }

    private static Map<Path, String> packDigests(Path datastore) throws IOException {
        Map<Path, String> digests = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(datastore.resolve("packs"))) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                digests.put(datastore.relativize(p), Sha256.of(p));
            }
        }
        return digests;
    }

    @Test
    void datastoreOfANewerFormatIsRefusedWithAnUpgradeHint(@TempDir Path dir) throws IOException {
        Path datastore = dir.resolve("datastore");
        ServerProcess.start(datastore).close();
        Path marker = datastore.resolve("ckpt-datastore");
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(marker)) {
            p.load(r);
        }
        assertEquals("1", p.getProperty("format"), "the format this build writes");
        p.setProperty("format", "99");
        try (Writer w = Files.newBufferedWriter(marker)) {
            p.store(w, "written by a future ckpt");
        }

        ServerProcess.Exited refused = ServerProcess.on(datastore).startExpectingExit();

        assertEquals(1, refused.exitCode(), refused.log());
        assertTrue(refused.log().contains("upgrade"), "says to upgrade: " + refused.log());
        assertTrue(refused.log().contains("99"), "says which format it found: " + refused.log());
        assertFalse(refused.log().contains("listening on"), refused.log());
    }
}
