package io.ckpt.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.it.AgentProcess;
import io.ckpt.it.Cli;
import io.ckpt.it.ToyNodes;
import io.ckpt.it.ToyWparHome;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One server and two agent processes (host ids node-a and node-b) on loopback, moving the toy WPAR
 * of contrib/toywpar between them: a planned relocation, a rebalance back to its primary, a
 * failover after node-a's agent dies, and node-a fenced when it comes back. The toy's home is
 * shared by both "hosts", as a WPAR's file systems are on NFS.
 */
class RelocationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = ToyNodes.WAIT;

    @TempDir
    Path dir;

    @Test
    void relocateRebalanceFailoverAndFencing() throws Exception {
        ToyNodes nodes = new ToyNodes(dir);
        ToyWparHome toys = nodes.toys;
        Path serverConfig = Files.writeString(dir.resolve("server.yaml"), """
                placement:
                  - { match: "toy*", primary: node-a, backup: node-b }
                failover:
                  lease: 3s
                """);
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore")).args("--config", serverConfig.toString()).start()) {
            Cli ckpt = Cli.against(server);
            int controlA = ToyNodes.freePort();
            int controlB = ToyNodes.freePort();
            Path configA = nodes.agentConfig(server, "node-a", controlA);
            Path configB = nodes.agentConfig(server, "node-b", controlB);
            Map<String, String> env = new HashMap<>(toys.env());
            env.put("CKPT_POLL_WAIT_MS", "1000");
            toys.start("toy");
            toys.track("toy");
            // A file in the WPAR's file system that does not change: a relocation's final restore should not move it.
            byte[] db = new byte[4 << 20];
            new java.util.Random(3).nextBytes(db);
            Files.write(toys.root("toy").resolve("data/static.db"), db);
            AgentProcess a = AgentProcess.start(configA, env);
            AgentProcess b = AgentProcess.start(configB, env);
            try {
                // A first checkpoint on node-a makes node-a the owner.
                long first = nodes.checkpointNow(ckpt, a, controlA);
                ckpt.run("mark-good", Long.toString(first)).assertOk();
                awaitLive(ckpt, "node-a", "node-b");
                JsonNode hosts = ckpt.run("hosts", "--json").assertOk().json();
                assertEquals("toy", host(hosts, "node-a").path("owns").get(0).path("wpar").asText(), hosts::toString);

                // Planned move to node-b: final checkpoint (toy stopped), ownership, restore and start there.
                JsonNode moved = ckpt.run("relocate", "toy", "--to", "node-b", "--json").assertOk().json();
                assertTrue(moved.path("downtime_seconds").asDouble() > 0, moved::toString);
                assertTrue(moved.path("steps").get(0).path("step").asText().startsWith("pre-stage checkpoint " + first),
                        "the target stages the newest checkpoint before the WPAR stops: " + moved);
                assertTrue(moved.path("reused_bytes").asLong() >= db.length,
                        "the final restore reuses the staged chunks (the unchanged file at least): " + moved);
                long finalBytes = ckpt.run("show", "--json", Long.toString(moved.path("checkpoint").asLong())).assertOk()
                        .json().path("checkpoint").path("logical_bytes").asLong();
                assertEquals(finalBytes, moved.path("reused_bytes").asLong() + moved.path("fetched_bytes").asLong(), moved::toString);
                JsonNode r = ckpt.run("show", "--json", Long.toString(latestId(ckpt))).assertOk().json().path("checkpoint");
                assertEquals("final", r.path("kind").asText(), "the newest checkpoint is the final one: " + r);
                assertEquals("node-a", r.path("host").asText());
                long finalCounter = nodes.counterOf(ckpt, r.path("id").asLong());
                nodes.assertRunsFrom(finalCounter);
                b.awaitLog(Pattern.compile("task \\d+ \\(start of WPAR toy\\) done"), WAIT);
                hosts = ckpt.run("hosts", "--json").assertOk().json();
                assertEquals(2, host(hosts, "node-b").path("owns").get(0).path("epoch").asLong(), hosts::toString);

                // Rebalance: node-a is the primary, so the toy goes back, continuing from node-b's final checkpoint.
                Cli.Result back = ckpt.run("rebalance").assertOk();
                assertTrue(back.stdout().contains("toy: node-b -> node-a"), back::toString);
                assertTrue(back.stdout().matches("(?s).*downtime \\d+[.,]\\d+ s \\(WPAR stopped on the source -> healthy on the target\\).*"),
                        "the downtime is printed: " + back);
                JsonNode fin2 = ckpt.run("show", "--json", Long.toString(latestId(ckpt))).assertOk().json().path("checkpoint");
                assertEquals("node-b", fin2.path("host").asText(), "node-b's final checkpoint: " + fin2);
                nodes.assertRunsFrom(nodes.counterOf(ckpt, fin2.path("id").asLong()));

                // A good checkpoint on node-a, then node-a dies (agent killed, its WPAR with it).
                long lkg = nodes.checkpointNow(ckpt, a, controlA);
                ckpt.run("mark-good", Long.toString(lkg)).assertOk();
                long lkgCounter = nodes.counterOf(ckpt, lkg);
                a.kill9();
                toys.stop("toy");
                Cli.Result refused = ckpt.run("failover", "--from", "node-b").assertExit(7);
                assertTrue(refused.stderr().contains("is live"), "a live host is relocated, not failed over: " + refused);
                awaitNotLive(ckpt, "node-a");
                JsonNode failover = ckpt.run("failover", "--from", "node-a", "--json").assertOk().json();
                JsonNode w = failover.path("wpars").get(0);
                assertEquals("node-b", w.path("to").asText(), failover::toString);
                assertEquals(lkg, w.path("checkpoint").asLong(), "the LKG is started: " + failover);
                nodes.assertRunsFrom(lkgCounter);

                // node-a comes back: it may neither upload that WPAR nor start it.
                a = AgentProcess.start(configA, env);
                a.awaitLog(Pattern.compile("WPAR toy is owned by node-b, not by this host"), WAIT);
                Path anything = Files.writeString(dir.resolve("x.img"), "stale state");
                Cli.Result push = ckpt.run("push", "--wpar", "toy", "--host-id", "node-a", anything.toString()).assertExit(7);
                assertTrue(push.stderr().contains("owned by node-b"), push::toString);
                Cli.Invocation start = ckpt.command("restore", "--wpar", "toy", "--latest", "--start", "--config",
                        configA.toString(), "--to", dir.resolve("stale").toString());
                env.forEach(start::env);
                Cli.Result startRefused = start.run().assertExit(7);
                assertTrue(startRefused.stderr().contains("owned by node-b"), startRefused::toString);
                assertEquals("running", toys.status("toy").path("state").asText(), "the copy on node-b runs on");

                // The audit log has each move and the fenced upload, in order, with its outcome.
                List<String> audited = new ArrayList<>();
                for (JsonNode e : ckpt.run("audit", "--wpar", "toy", "--json").assertOk().json().path("events")) {
                    String action = e.path("action").asText();
                    if (List.of("relocate", "rebalance", "failover", "upload.refused").contains(action)) {
                        audited.add(action + " " + e.path("outcome").asText());
                    }
                }
                for (JsonNode e : ckpt.run("audit", "--action", "failover", "--json").assertOk().json().path("events")) {
                    audited.add("failover " + e.path("details").path("from").asText() + " " + e.path("outcome").asText());
                }
                assertEquals(List.of("relocate ok", "upload.refused refused", "failover node-b refused", "failover node-a ok"),
                        audited);
            } finally {
                a.close();
                b.close();
                toys.stop("toy");
            }
        }
    }

    private static long latestId(Cli ckpt) {
        JsonNode list = ckpt.run("list", "--wpar", "toy", "--json").assertOk().json().path("checkpoints");
        return list.get(list.size() - 1).path("id").asLong();
    }

    private static JsonNode host(JsonNode hosts, String name) {
        for (JsonNode h : hosts.path("hosts")) {
            if (name.equals(h.path("host").asText())) {
                return h;
            }
        }
        throw new AssertionError(name + " not in " + hosts);
    }

    private static void awaitLive(Cli ckpt, String... names) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            JsonNode hosts = ckpt.run("hosts", "--json").assertOk().json();
            boolean all = true;
            for (String n : names) {
                all &= hosts.toString().contains("\"host\":\"" + n + "\"") && host(hosts, n).path("live").asBoolean();
            }
            if (all) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "hosts not live: " + hosts);
            Thread.sleep(300);
        }
    }

    private static void awaitNotLive(Cli ckpt, String name) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (host(ckpt.run("hosts", "--json").assertOk().json(), name).path("live").asBoolean()) {
            assertTrue(System.nanoTime() < deadline, name + " stays live after its agent died");
            Thread.sleep(500);
        }
    }
}
