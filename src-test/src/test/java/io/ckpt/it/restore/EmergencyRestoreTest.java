package io.ckpt.it.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.it.durability.DamagedPackTest;
import io.ckpt.it.ingest.DirectoryTreeTest;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ckpt restore --datastore DIR}: a restore straight from the datastore, the server beside
 * it running, killed, or never started again. Ordered: the first test needs the server alive, the
 * middle ones after its kill -9, the last damages a pack.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmergencyRestoreTest {
    // Pack layout, version 1 (server/src/main/java/io/ckpt/store/PackFormat.java)

    private Path dir;
    private ServerProcess server;
    private Path datastore;
    private Path first;
    private Path second;
    private Path tree;
    private long firstId;
    private long secondId;
    private long treeId;
    /** Where the records of the first push end in the datastore's pack (nothing was stored before it). */
    private long firstPushEnd;
    private final Cli ckpt = Cli.standalone();

    /** Two images of WPAR web07 and a directory tree of WPAR tree07, pushed to a real server. */
    @BeforeAll
    void pushToARealServer(@TempDir Path dir) throws IOException {
        this.dir = dir;
        first = MemoryImage.ofSize(71, 2L << 20).writeTo(dir.resolve("web07-1.img"));
        second = MemoryImage.ofSize(72, 2L << 20).writeTo(dir.resolve("web07-2.img"));
        tree = DirectoryTreeTest.statefileTree(dir.resolve("state"));
        datastore = dir.resolve("datastore");
        server = ServerProcess.start(datastore);
        Cli remote = Cli.against(server);
        firstId = remote.run("push", "--wpar", "web07", "--json", first.toString()).assertOk().json().path("id").asLong();
        firstPushEnd = Files.size(onlyPack());
        secondId = remote.run("push", "--wpar", "web07", "--json", second.toString()).assertOk().json().path("id").asLong();
        treeId = remote.run("push", "--wpar", "tree07", "--json", tree.toString()).assertOk().json().path("id").asLong();
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    @Order(1)
    void restoresBesideARunningServer() throws IOException {
        Path out = dir.resolve("live.img");
        ckpt.run("restore", "--datastore", datastore.toString(), "--wpar", "web07", "--latest", "--to", out.toString())
                .assertOk();
        assertEquals(Sha256.of(second), Sha256.of(out));
        assertTrue(server.isAlive(), "the server is not disturbed");
        Cli.against(server).run("list", "--wpar", "web07").assertOk();
    }

    @Test
    @Order(2)
    void afterKill9RestoresLatestAndIdAndTreeByteIdenticalAndChangesNoDatastoreFile() throws IOException {
        server.kill9();
        Map<String, String> before = files(datastore);

        Path latest = dir.resolve("latest.img");
        Cli.Result r = ckpt.run("restore", "--datastore", datastore.toString(), "--wpar", "web07", "--latest",
                "--to", latest.toString()).assertOk();
        assertTrue(r.stderr().contains("restoring checkpoint " + secondId), r::toString);
        assertEquals(Sha256.of(second), Sha256.of(latest));

        Path byId = dir.resolve("by-id.img");
        ckpt.run("restore", "--datastore", datastore.toString(), "--wpar", "web07", "--id", Long.toString(firstId),
                "--to", byId.toString()).assertOk();
        assertEquals(Sha256.of(first), Sha256.of(byId));

        Path treeOut = dir.resolve("tree-restored");
        ckpt.run("restore", "--datastore", datastore.toString(), "--wpar", "tree07", "--latest", "--json",
                "--to", treeOut.toString()).assertOk();
        assertEquals(DirectoryTreeTest.snapshot(tree), DirectoryTreeTest.snapshot(treeOut));

        assertEquals(before, files(datastore), "no file of the datastore created, removed or changed (catalog.db-shm: see files())");
    }

    @Test
    @Order(3)
    void refusesStartAndNamesRebuildCatalogWhenTheCatalogIsMissing() {
        Cli.Result start = ckpt.run("restore", "--datastore", datastore.toString(), "--wpar", "web07", "--latest",
                "--start", "--to", dir.resolve("never").toString()).assertExit(2);
        assertTrue(PushRestoreTest.errorLine(start).contains("--start needs the server"), start::toString);

        Cli.Result noCatalog = ckpt.run("restore", "--datastore", datastore.toString(), "--catalog",
                dir.resolve("lost.db").toString(), "--wpar", "web07", "--latest", "--to", dir.resolve("never").toString())
                .assertExit(1);
        assertTrue(PushRestoreTest.errorLine(noCatalog).contains("rebuild-catalog"), noCatalog::toString);
        assertTrue(Files.notExists(dir.resolve("lost.db")), "a missing catalog is not created");
    }

    @Test
    @Order(4)
    void flippedPackByteExitsFiveNamingCheckpointAndPart() throws IOException {
        long record = flipByteInMiddleRecordBefore(firstPushEnd);
        Path out = dir.resolve("damaged.img");
        Cli.Result r = ckpt.run("restore", "--datastore", datastore.toString(), "--wpar", "web07", "--id",
                Long.toString(firstId), "--to", out.toString()).assertExit(5);
        String error = PushRestoreTest.errorLine(r);
        assertTrue(error.contains("checkpoint " + firstId), "names the checkpoint: " + error);
        assertTrue(error.contains("'web07-1.img'"), "names the part: " + error);
        assertTrue(error.contains("offset " + record), "names the record's offset " + record + ": " + error);
        assertTrue(Files.notExists(out), "no damaged file left behind");
    }

    private Path onlyPack() throws IOException {
        try (Stream<Path> walk = Files.walk(datastore.resolve("packs"))) {
            List<Path> packs = walk.filter(p -> p.toString().endsWith(".pack")).toList();
            assertEquals(1, packs.size(), "packs: " + packs);
            return packs.get(0);
        }
    }

    /**
     * Every file under {@code root} with its size and modification time; for catalog.db-shm only
     * its size. That file is SQLite's shared-memory WAL index, not data: every reader of a WAL
     * database maps it and takes read marks in it, and the first reader after a crash rebuilds it
     * from the -wal. catalog.db and catalog.db-wal themselves must not change.
     */
    private static Map<String, String> files(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                String name = root.relativize(p).toString();
                out.put(name, Files.size(p) + " bytes"
                        + (name.equals("catalog.db-shm") ? "" : ", mtime " + Files.getLastModifiedTime(p).toMillis()));
            }
        }
        return out;
    }

    /** Flips one byte in the data of the middle record that lies before {@code end}; returns that record's offset. */
    private long flipByteInMiddleRecordBefore(long end) throws IOException {
        return DamagedPackTest.flipByteInMiddleRecord(onlyPack(), end);
    }
}
