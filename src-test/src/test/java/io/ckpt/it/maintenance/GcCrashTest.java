package io.ckpt.it.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.it.Cli;
import io.ckpt.it.Sha256;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the server while GC compacts and deletes: after a restart every checkpoint the catalog
 * lists restores bit for bit, verify --full passes, and a new GC finishes the work.
 */
@Tag("slow") // kill -9 rounds: run by .ci/run after the default suite
class GcCrashTest {
    @Test
    void killDuringGcDamagesNothingAndTheNextGcFinishes(@TempDir Path dir) throws Exception {
        Path datastore = dir.resolve("datastore");
        Map<String, Path> kept = new LinkedHashMap<>();
        ServerProcess server = ServerProcess.on(datastore).args("--pack-size", "1").start();
        try {
            Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            for (int i = 0; i < 8; i++) {
                byte[] b = new byte[6 << 20];
                new Random(500 + i).nextBytes(b);
                // Interleave pruned and kept images, so that packs mix live and dead chunks and GC must compact.
                String wpar = (i % 2 == 0 ? "drop" : "keep") + i;
                Path img = Files.write(dir.resolve(wpar + ".img"), b);
                ckpt.run("push", "--wpar", wpar, img.toString()).assertOk();
                if (wpar.startsWith("keep")) {
                    kept.put(wpar, img);
                }
            }
            ckpt.run("prune", "--wpar", "drop*", "--keep-label", "none", "--force").assertOk();
            long[] delays = {0, 20, 60};
            for (long delay : delays) {
                int mark = server.logMark();
                Cli.Running gc = Cli.against(server).command("gc").start();
                server.awaitLog(mark, java.util.regex.Pattern.compile("gc: started"), Duration.ofSeconds(30));
                Thread.sleep(delay);
                server.kill9();
                gc.await(Duration.ofSeconds(60));
                boolean finished = server.log().substring(mark).contains("pack files deleted");
                System.out.printf("gc killed %d ms after it started: %s%n", delay, finished ? "it had finished" : "mid-run");
                server = server.restart();
                ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
                for (var e : kept.entrySet()) {
                    Sha256.Sink sink = new Sha256.Sink();
                    ckpt.command("restore", "--wpar", e.getKey(), "--latest", "--to", "-").stdout(sink).run().assertOk();
                    assertEquals(Sha256.of(e.getValue()), sink.hex(), e.getKey() + " after kill -9 " + delay + " ms into gc");
                }
            }
            ckpt.run("gc").assertOk();
            assertTrue(ckpt.run("verify", "--full", "--json").assertOk().json().path("ok").asBoolean());
            assertEquals(0, ckpt.run("gc", "--dry-run", "--json").assertOk().json().path("chunks_removed").asLong());
        } finally {
            server.close();
        }
    }
}
