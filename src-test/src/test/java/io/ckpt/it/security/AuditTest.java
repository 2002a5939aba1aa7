package io.ckpt.it.security;

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

/** The audit log through a real server and the real CLI: what users did, in order, kept across a restart. */
class AuditTest {
    @Test
    void auditListsPushRestoreMarkPruneAndRelocateInOrderWithActorAndOutcomeAcrossARestart(@TempDir Path dir)
            throws Exception {
        Path datastore = dir.resolve("datastore");
        long first;
        long second;
        ServerProcess server = ServerProcess.start(datastore);
        try {
            Cli ckpt = Cli.against(server);
            Path img = Files.writeString(dir.resolve("img"), "web01 state\n".repeat(100));
            first = ckpt.run("push", "--host-id", "nodeA", "--wpar", "web01", "--taken-at", "2026-11-20T09:00:00Z",
                    "--json", img.toString()).assertOk().json().path("id").asLong();
            second = ckpt.run("push", "--host-id", "nodeA", "--wpar", "web01", "--taken-at", "2026-11-21T09:00:00Z",
                    "--json", img.toString()).assertOk().json().path("id").asLong();
            ckpt.run("restore", "--host-id", "opsB", "--wpar", "web01", "--id", Long.toString(first), "--to",
                    dir.resolve("out").toString()).assertOk();
            ckpt.run("mark-bad", "--host-id", "opsB", "--reason", "corrupt heap", Long.toString(first)).assertOk();
            ckpt.run("prune", "--host-id", "opsB", "--keep-last", "1").assertOk();
            ckpt.run("relocate", "--host-id", "opsB", "web01", "--to", "nodeZ").assertExit(7); // no live agent on nodeZ: refused

            JsonNode events = userEvents(ckpt.run("audit", "--json").assertOk().json());
            assertEquals(List.of("upload.committed nodeA web01 " + first + " ok",
                    "upload.committed nodeA web01 " + second + " ok",
                    "restore.started opsB web01 " + first + " ok",
                    "restore.finished opsB web01 " + first + " ok",
                    "mark-bad opsB web01 " + first + " ok",
                    "prune opsB - - ok",
                    "relocate opsB web01 - refused"), summaries(events), events::toString);
            assertEquals("corrupt heap", events.get(4).path("details").path("reason").asText());
            assertEquals("[{\"wpar\":\"web01\",\"ids\":[" + first + "]}]", events.get(5).path("details").path("removed").toString());
            assertTrue(events.get(6).path("details").path("error").asText().contains("nodeA"), events.get(6)::toString);
            assertTrue(events.get(0).path("peer").asText().contains("127.0.0.1"), events.get(0)::toString);

            // Filters together, and the text form: the newest of opsB's restore events on web01.
            Cli.Result text = ckpt.run("audit", "--wpar", "web01", "--action", "restore", "--actor", "opsB", "--limit", "1")
                    .assertOk();
            assertEquals(1, text.stdout().strip().lines().count(), text::toString);
            assertTrue(text.stdout().contains(" opsB restore.finished wpar=web01 checkpoint=" + first + " ok {"), text::toString);
            server.stop();
            server = ServerProcess.start(datastore);
            ckpt = Cli.against(server);
            JsonNode after = ckpt.run("audit", "--json").assertOk().json();
            assertEquals(summaries(events), summaries(userEvents(after)), "kept across a restart");
            List<String> serverActions = new ArrayList<>();
            after.path("events").forEach(e -> {
                if (e.path("actor").asText().equals("server")) {
                    serverActions.add(e.path("action").asText());
                }
            });
            assertEquals(List.of("server.start", "server.stop", "server.start"), serverActions);
            assertTrue(after.path("torn_lines").isEmpty() && after.path("damaged_lines").isEmpty(), after::toString);
            ckpt.run("audit", "--since", "yesterday 99:99").assertExit(2);
        } finally {
            server.close();
        }
        JsonNode offline = Cli.standalone().run("audit", "--datastore", datastore.toString(), "--action", "mark-bad",
                "--json").assertOk().json();
        assertEquals(1, offline.path("events").size(), offline::toString);
        assertEquals(first, offline.path("events").get(0).path("checkpoint").asLong());
    }

    /** The events a user caused (the server's own start and stop left out). */
    private static JsonNode userEvents(JsonNode answer) {
        var out = new com.fasterxml.jackson.databind.ObjectMapper().createArrayNode();
        answer.path("events").forEach(e -> {
            if (!e.path("actor").asText().equals("server")) {
                out.add(e);
            }
        });
        return out;
    }

    private static List<String> summaries(JsonNode events) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : events) {
            out.add(e.path("action").asText() + " " + e.path("actor").asText() + " " + e.path("wpar").asText("-") + " "
                    + (e.has("checkpoint") ? e.path("checkpoint").asText() : "-") + " " + e.path("outcome").asText());
        }
        return out;
    }
}
