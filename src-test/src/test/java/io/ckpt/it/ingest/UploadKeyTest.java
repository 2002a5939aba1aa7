package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A retry that follows a lost acknowledgement must not store the checkpoint twice: an upload
 * with the key of a completed checkpoint is answered with that checkpoint. And health set at
 * upload or by the operator decides the last known good.
 */
class UploadKeyTest {
    @Test
    void secondPushWithTheSameKeyIsTheSameCheckpoint(@TempDir Path dir) throws Exception {
        Path img = Files.write(dir.resolve("web01.img"), "memory image v1".repeat(1000).getBytes());
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server);
            JsonNode first = ckpt.run("push", "--wpar", "web01", "--key", "spool-0001", "--json", img.toString()).assertOk().json();
            JsonNode again = ckpt.run("push", "--wpar", "web01", "--key", "spool-0001", "--json", img.toString()).assertOk().json();
            assertEquals(first.path("id").asLong(), again.path("id").asLong(), again::toString);
            assertTrue(again.path("duplicate").asBoolean(), again::toString);
            JsonNode other = ckpt.run("push", "--wpar", "web01", "--key", "spool-0002", "--json", img.toString()).assertOk().json();
            assertTrue(other.path("id").asLong() > first.path("id").asLong());
            assertEquals(2, ckpt.run("list", "--wpar", "web01", "--json").assertOk().json().path("checkpoints").size());
        }
    }

    @Test
    void lastKnownGoodIsTheNewestGoodAndMovesBackWhenItIsMarkedBad(@TempDir Path dir) throws Exception {
        Path img = Files.write(dir.resolve("db01.img"), "state".repeat(100).getBytes());
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server);
            long a = push(ckpt, img, "2026-11-26T01:00:00Z", "good");
            long b = push(ckpt, img, "2026-11-26T02:00:00Z", "good");
            push(ckpt, img, "2026-11-26T03:00:00Z", "bad");
            assertEquals(b, lkg(ckpt));
            assertEquals(b, ckpt.run("restore", "--wpar", "db01", "--last-known-good", "--json", "--to",
                    dir.resolve("r1").toString()).assertOk().json().path("checkpoint").path("id").asLong());

            ckpt.run("mark-bad", Long.toString(b), "--reason", "db did not start").assertOk();
            assertEquals(a, lkg(ckpt));
            JsonNode shown = ckpt.run("show", Long.toString(b), "--json").assertOk().json().path("checkpoint");
            assertEquals("bad", shown.path("health").asText());
            assertEquals("db did not start", shown.path("health_reason").asText());

            ckpt.run("mark-bad", Long.toString(a)).assertOk();
            Cli.Result none = ckpt.run("restore", "--wpar", "db01", "--last-known-good", "--to", dir.resolve("r2").toString())
                    .assertExit(3);
            assertTrue(none.stderr().contains("no last known good"), none::toString);
            ckpt.run("mark-good", "999999").assertExit(3);
        }
    }

    private static long push(Cli ckpt, Path img, String takenAt, String health) {
        return ckpt.run("push", "--wpar", "db01", "--taken-at", takenAt, "--health", health, "--json", img.toString())
                .assertOk().json().path("id").asLong();
    }

    private static long lkg(Cli ckpt) {
        for (JsonNode c : ckpt.run("list", "--wpar", "db01", "--json").assertOk().json().path("checkpoints")) {
            if (c.path("lkg").asBoolean()) {
                return c.path("id").asLong();
            }
        }
        return -1;
    }
}
