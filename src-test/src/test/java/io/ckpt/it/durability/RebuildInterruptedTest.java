package io.ckpt.it.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.it.Cli;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code rebuild-catalog} that stops half-way (here an I/O error reading a manifest; a kill, a
 * full disk or Ctrl-C stop it the same way) must not leave a catalog the server starts on: a
 * catalog with the packs but not all checkpoints, ownership and health marks would list less than
 * the datastore holds, let any host claim the WPARs, and let gc delete the chunks of every
 * checkpoint not yet taken in (issue 13, "found by reading").
 */
@Tag("slow") // several server and client JVMs: run by .ci/run after the default suite
class RebuildInterruptedTest {

    @Test
    void aRebuildThatFailsHalfWayLeavesNoCatalogAndARerunTakesEverythingIn(@TempDir Path dir) throws Exception {
        Path datastore = dir.resolve("datastore");
        List<Long> ids = new ArrayList<>();
        ServerProcess server = ServerProcess.on(datastore).start();
        try {
            Cli ckpt = Cli.against(server);
            for (int i = 0; i < 2; i++) {
                byte[] b = new byte[1 << 20];
                new Random(i).nextBytes(b);
                Path file = Files.write(dir.resolve("img" + i), b);
                ids.add(ckpt.run("push", "--wpar", "half01", "--host-id", "host-a", "--json", file.toString())
                        .assertOk().json().path("id").asLong());
            }
            server.stop();
        } finally {
            server.close();
        }
        for (String f : new String[] {"catalog.db", "catalog.db-wal", "catalog.db-shm"}) {
            Files.deleteIfExists(datastore.resolve(f));
        }
        // The first manifest in id order cannot be read: the rebuild stops there with an error.
        Path unreadable = Files.createDirectory(datastore.resolve("manifests").resolve("0000000000000000.manifest"));
        RebuildCatalogTest.Exited failed = RebuildCatalogTest.runServerCommand("rebuild-catalog", "--datastore",
                datastore.toString());
        assertEquals(1, failed.exitCode(), failed.output());

        server = ServerProcess.on(datastore).startOrExit();
        try {
            if (server.listening()) {
                List<Long> listed = new ArrayList<>();
                Cli.against(server).run("list", "--json").assertOk().json().path("checkpoints")
                        .forEach(cp -> listed.add(cp.path("id").asLong()));
                assertEquals(ids, listed, "the server started on the catalog of a rebuild that failed half-way, and"
                        + " lists less than the datastore holds (gc would now delete the others' chunks)");
            } else {
                assertTrue(server.log().contains("rebuild-catalog"), "refuses, pointing at the cure: " + server.log());
            }
        } finally {
            server.close();
        }

        Files.delete(unreadable);
        RebuildCatalogTest.Exited rerun = RebuildCatalogTest.runServerCommand("rebuild-catalog", "--datastore",
                datastore.toString());
        assertEquals(0, rerun.exitCode(), rerun.output());
        assertFalse(rerun.output().contains("LEFT OUT"), rerun.output());
        server = ServerProcess.on(datastore).start();
        try {
            List<Long> listed = new ArrayList<>();
            Cli.against(server).run("list", "--json").assertOk().json().path("checkpoints")
                    .forEach(cp -> listed.add(cp.path("id").asLong()));
            assertEquals(ids, listed);
        } finally {
            server.close();
        }
    }
}
