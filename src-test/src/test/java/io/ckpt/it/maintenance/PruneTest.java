package io.ckpt.it.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ckpt prune through a real server: dry run, keep rules with reasons, and what is never removed. */
class PruneTest {
    @Test
    void pruneKeepsWhatTheRulesAndTheProtectionsKeepAndRemovesTheRest(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server);
            List<Long> ids = new ArrayList<>();
            List<Path> images = new ArrayList<>();
            String[] times = {"2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z", "2026-11-21T09:00:00Z",
                "2026-11-22T09:00:00Z", "2026-11-22T10:00:00Z", "2026-11-23T09:00:00Z"};
            for (int i = 0; i < times.length; i++) {
                Path img = Files.writeString(dir.resolve("img" + i), "state of web01 number " + i + "\n".repeat(i + 1));
                images.add(img);
                ids.add(ckpt.run("push", "--wpar", "web01", "--taken-at", times[i], "--json", img.toString())
                        .assertOk().json().path("id").asLong());
            }
            ckpt.run("mark-good", ids.get(1).toString()).assertOk();
            ckpt.run("protect", ids.get(0).toString()).assertOk();

            JsonNode dry = ckpt.run("prune", "--keep-daily", "2", "--dry-run", "--json").assertOk().json();
            assertTrue(dry.path("dry_run").asBoolean());
            assertEquals(6, list(ckpt).size(), "a dry run removes nothing");
            JsonNode w = dry.path("wpars").get(0);
            assertEquals("web01", w.path("wpar").asText());
            assertEquals(List.of(ids.get(5), ids.get(4), ids.get(1), ids.get(0)), idsOf(w.path("keep")), w::toString);
            assertEquals(List.of(ids.get(3), ids.get(2)), idsOf(w.path("remove")), w::toString);
            assertEquals("daily snapshot", w.path("keep").get(0).path("reasons").get(0).asText(), w::toString);
            assertEquals("last known good", w.path("keep").get(2).path("reasons").get(0).asText(), w::toString);
            assertEquals("protected", w.path("keep").get(3).path("reasons").get(0).asText(), w::toString);

            JsonNode done = ckpt.run("prune", "--keep-daily", "2", "--json").assertOk().json();
            assertEquals(idsOf(w.path("remove")), idsOf(done.path("wpars").get(0).path("remove")));
            assertEquals(List.of(ids.get(0), ids.get(1), ids.get(4), ids.get(5)), idsOf(list(ckpt)));

            // The LKG and the protected one survive keep-last 1.
            ckpt.run("prune", "--keep-last", "1").assertOk();
            assertEquals(List.of(ids.get(0), ids.get(1), ids.get(5)), idsOf(list(ckpt)));
            for (int i : new int[] {0, 1, 5}) {
                Path out = dir.resolve("restored" + i);
                ckpt.run("restore", "--wpar", "web01", "--id", ids.get(i).toString(), "--to", out.toString()).assertOk();
                assertEquals(Files.readString(images.get(i)), Files.readString(out), "kept checkpoint " + ids.get(i) + " restores");
            }

            Cli.Result empty = ckpt.run("prune", "--keep-last", "0").assertExit(2);
            assertTrue(empty.stderr().contains("empty"), empty::toString);
            Cli.Result bad = ckpt.run("prune", "--keep-daily", "-2").assertExit(2);
            assertTrue(bad.stderr().contains("keep-daily"), bad::toString);
            ckpt.run("prune", "--wpar", "nosuch*", "--keep-last", "1").assertExit(3);
        }
    }

    @Test
    void pruneThatWouldRemoveEveryCheckpointIsRefusedUnlessForced(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server);
            Path img = Files.writeString(dir.resolve("img"), "db state");
            for (String t : new String[] {"2026-11-20T09:00:00Z", "2026-11-21T09:00:00Z"}) {
                ckpt.run("push", "--wpar", "db01", "--taken-at", t, "--label", "nightly", img.toString()).assertOk();
            }
            Cli.Result refused = ckpt.run("prune", "--keep-label", "release").assertExit(2);
            assertTrue(refused.stderr().contains("db01"), refused::toString);
            assertEquals(2, list(ckpt).size());
            ckpt.run("prune", "--keep-label", "release", "--force").assertOk();
            assertEquals(0, list(ckpt).size());
        }
    }

    private static JsonNode list(Cli ckpt) {
        return ckpt.run("list", "--json").assertOk().json().path("checkpoints");
    }

    private static List<Long> idsOf(JsonNode arr) {
        List<Long> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.path("id").asLong()));
        return out;
    }
}
