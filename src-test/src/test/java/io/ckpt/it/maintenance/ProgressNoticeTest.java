package io.ckpt.it.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long requests outlast the idle timeout (issue 21, item 1): while the server verifies, prunes or
 * collects garbage, it sends progress notices (protocol version 4), the CLI shows them on stderr,
 * and neither side drops the connection, however long the server works. To make a small datastore
 * slow, the server runs with the test-only {@code ckpt.test.progressDelayMillis}: each progress
 * report of a long request sleeps that long (about one report per chunk in verify, per WPAR in
 * prune, per batch and per pack in gc).
 */
class ProgressNoticeTest {
    /** The server's --idle-timeout: each request below runs at least twice as long. */
    private static final int IDLE = 2;
    private static final int KIB = 1 << 10;

    @Test
    void verifyFullLongerThanTwiceTheIdleTimeoutCompletesWithProgressShown(@TempDir Path dir) throws Exception {
        Path image = image(dir, "memory.img", 256 * KIB, 1); // some 30 chunks of 8 KiB on average: 6 s at 200 ms each
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore"))
                .args("--idle-timeout", Integer.toString(IDLE)).jvmOptions("-Dckpt.test.progressDelayMillis=200").start()) {
            Cli ckpt = Cli.against(server);
            ckpt.run("push", "--wpar", "app01", image.toString()).assertOk();

            Cli.Result verify = ckpt.run("verify", "--full", "--json").assertOk();
            JsonNode report = verify.json(); // stdout is the answer alone: the notices went to stderr
            assertTrue(report.path("ok").asBoolean(), verify::toString);
            assertTrue(report.path("duration_ms").asLong() > 2 * IDLE * 1000L,
                    () -> "the verify must outlast twice the idle timeout for this test to mean anything: " + verify);
            assertTrue(verify.stderr().contains("verify: checking chunks with SHA-256"), verify::toString);
            assertTrue(verify.stderr().lines().anyMatch(l -> l.matches("verify: checking chunks with SHA-256 [\\d,]+ of [\\d,]+"
                    + " \\(pack \\d+\\), .*")), verify::toString);

            // A client of protocol version 2 (before notices) hears none, and the server does not drop it either.
            Cli.Result old = ckpt.jvm(List.of("-Dckpt.protocol.max=2")).run("verify").assertOk();
            assertTrue(old.stdout().startsWith("ok: "), old::toString);
            assertFalse(old.stderr().contains("verify:"), old::toString);
        }
    }

    @Test
    @Tag("slow") // some 40 s on a busy machine: run by .ci/run after the default suite
    void pruneAndGcLongerThanTwiceTheIdleTimeoutCompleteWithProgressShown(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore"))
                .args("--idle-timeout", Integer.toString(IDLE), "--pack-size", "1")
                .jvmOptions("-Dckpt.test.progressDelayMillis=1500").start()) {
            Cli ckpt = Cli.against(server);
            for (String wpar : new String[] {"gone1", "gone2", "keep1"}) {
                ckpt.run("push", "--wpar", wpar, image(dir, wpar + ".img", 1024 * KIB, wpar.hashCode()).toString()).assertOk();
            }

            Cli.Result prune = ckpt.run("prune", "--wpar", "gone*", "--keep-label", "none", "--force", "--json").assertOk();
            assertEquals(2, prune.json().path("wpars").size(), prune::toString);
            assertTrue(prune.stderr().lines().anyMatch(l -> l.startsWith("prune: ") && l.contains("(WPAR gone")),
                    prune::toString);

            Cli.Result gc = ckpt.run("gc", "--json").assertOk();
            JsonNode report = gc.json();
            assertTrue(report.path("chunks_removed").asLong() > 0, gc::toString);
            assertTrue(report.path("duration_ms").asLong() > 2 * IDLE * 1000L,
                    () -> "the gc must outlast twice the idle timeout for this test to mean anything: " + gc);
            assertTrue(gc.stderr().lines().anyMatch(l -> l.startsWith("gc: ")), gc::toString);
        }
    }

    private static Path image(Path dir, String name, int size, long seed) throws Exception {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return Files.write(dir.resolve(name), b);
    }
}
