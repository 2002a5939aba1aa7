package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
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
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private ToyWparHome toys;

    @Test
    void relocateRebalanceFailoverAndFencing() throws Exception {
        toys = ToyWparHome.create(dir.resolve("toywpars"), 50);
        Path serverConfig = Files.writeString(dir.resolve("server.yaml"), """
                placement:
                  - { match: "toy*", primary: node-a, backup: node-b }
                failover:
                  lease: 3s
                """);
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore")).args("--config", serverConfig.toString()).start()) {
            Cli ckpt = Cli.against(server);
            int controlA = freePort();
            int controlB = freePort();
            Path configA = agentConfig(server, "node-a", controlA);
            Path configB = agentConfig(server, "node-b", controlB);
            Map<String, String> env = new HashMap<>(toys.env());
            env.put("CKPT_POLL_WAIT_MS", "1000");
            toys.start("toy");
            toys.track("toy");
            AgentProcess a = AgentProcess.start(configA, env);
            AgentProcess b = AgentProcess.start(configB, env);
            try {
                // A first checkpoint on node-a makes node-a the owner.
                long first = checkpointNow(ckpt, a, controlA);
                ckpt.run("mark-good", Long.toString(first)).assertOk();
                awaitLive(ckpt, "node-a", "node-b");
                JsonNode hosts = ckpt.run("hosts", "--json").assertOk().json();
                assertEquals("toy", host(hosts, "node-a").path("owns").get(0).path("wpar").asText(), hosts::toString);

                // Planned move to node-b: final checkpoint (toy stopped), ownership, restore and start there.
                Cli.Result moved = ckpt.run("relocate", "toy", "--to", "node-b").assertOk();
                assertTrue(moved.stdout().contains("downtime"), moved::toString);
                JsonNode r = ckpt.run("show", "--json", Long.toString(latestId(ckpt))).assertOk().json().path("checkpoint");
                assertEquals("final", r.path("kind").asText(), "the newest checkpoint is the final one: " + r);
                assertEquals("node-a", r.path("host").asText());
                long finalCounter = counterOf(ckpt, r.path("id").asLong());
                assertRunsFrom(finalCounter);
                b.awaitLog(Pattern.compile("task \\d+ \\(start of WPAR toy\\) done"), WAIT);
                hosts = ckpt.run("hosts", "--json").assertOk().json();
                assertEquals(2, host(hosts, "node-b").path("owns").get(0).path("epoch").asLong(), hosts::toString);

                // Rebalance: node-a is the primary, so the toy goes back, continuing from node-b's final checkpoint.
                JsonNode back = ckpt.run("rebalance", "--json").assertOk().json();
                assertEquals(1, back.path("moves").size(), back::toString);
                JsonNode move = back.path("moves").get(0);
                assertTrue(move.path("downtime_seconds").asDouble() > 0, move::toString);
                assertEquals("node-a", move.path("to").asText());
                assertRunsFrom(counterOf(ckpt, move.path("checkpoint").asLong()));

                // A good checkpoint on node-a, then node-a dies (agent killed, its WPAR with it).
                long lkg = checkpointNow(ckpt, a, controlA);
                ckpt.run("mark-good", Long.toString(lkg)).assertOk();
                long lkgCounter = counterOf(ckpt, lkg);
                a.kill9();
                toys.stop("toy");
                Cli.Result refused = ckpt.run("failover", "--from", "node-b").assertExit(1);
                assertTrue(refused.stderr().contains("is live"), "a live host is relocated, not failed over: " + refused);
                awaitNotLive(ckpt, "node-a");
                JsonNode failover = ckpt.run("failover", "--from", "node-a", "--json").assertOk().json();
                JsonNode w = failover.path("wpars").get(0);
                assertEquals("node-b", w.path("to").asText(), failover::toString);
                assertEquals(lkg, w.path("checkpoint").asLong(), "the LKG is started: " + failover);
                assertRunsFrom(lkgCounter);

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
            } finally {
                a.close();
                b.close();
                toys.stop("toy");
            }
        }
    }

    /** Asks the agent at {@code control} for a checkpoint of the toy now and returns its id once uploaded. */
    private long checkpointNow(Cli ckpt, AgentProcess agent, int control) {
        int mark = agent.logMark();
        Cli.standalone().run("agent", "checkpoint-now", "toy", "--control", "127.0.0.1:" + control).assertOk();
        var m = agent.awaitLog(mark, Pattern.compile("WPAR toy checkpoint (\\d+) uploaded"), WAIT);
        return Long.parseLong(m.group(1));
    }

    private void assertRunsFrom(long counter) {
        JsonNode s = toys.status("toy");
        assertEquals("running", s.path("state").asText(), s::toString);
        assertEquals(counter, s.path("restored_from_counter").asLong(), "memory restored from the checkpoint: " + s);
        assertEquals(Long.toString(counter), s.path("journal_last_at_start").asText(), "files agree with memory: " + s);
    }

    /** The toy's counter in checkpoint {@code id}, read from its restored statefile. */
    private long counterOf(Cli ckpt, long id) throws IOException {
        Path to = dir.resolve("inspect-" + id);
        ckpt.run("restore", "--wpar", "toy", "--id", Long.toString(id), "--to", to.toString()).assertOk();
        return JSON.readTree(to.resolve("state/meta.json").toFile()).path("counter").asLong();
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

    /**
     * An agent config for {@code host}: the toy with the aix preset (pause, capture data, resume), a final
     * command that checkpoints and stops it (chkptwpar -k), a restart script that puts the checkpoint's data
     * back and runs restartwpar, and a health check that wants it running.
     */
    private Path agentConfig(ServerProcess server, String host, int control) throws IOException {
        Path restart = script("restart-toy", """
                #!/bin/sh
                set -e
                data="$TOYWPAR_HOME/$3/data"
                rm -rf "$data"
                cp -a "$1/../fs/data" "$data"
                exec %s -d "$1" -o "$2" "$3"
                """.formatted(toys.command("restartwpar")));
        Path health = script("toy-health", """
                #!/bin/sh
                test "$(cat "$TOYWPAR_HOME/$1/run/status" 2>/dev/null)" = running || { echo "toy $1 is not running" >&2; exit 1; }
                """);
        return Files.writeString(dir.resolve("agent-" + host + ".yaml"), """
                server: %s
                host-id: %s
                state-dir: %s
                control: 127.0.0.1:%d
                wpars:
                  - name: toy
                    schedule: { cron: "0 0 1 1 *" }   # only checkpoint-now in this test
                    source:
                      preset: aix
                      command: "%s -p -d {statedir} -o {logfile} {wpar}"
                      paused: true
                      resume-command: "%s {wpar}"
                      final-command: "%s -k -d {statedir} -o {logfile} {wpar}"
                    filesystems:
                      - { name: data, directory: %s }
                    restart: { command: "%s {statedir} {logfile} {wpar}" }
                    stop: { command: "%s {wpar}" }
                    health: { command: "%s {wpar}" }
                """.formatted(server.address(), host, dir.resolve("state-" + host), control, toys.command("chkptwpar"),
                toys.command("resumewpar"), toys.command("chkptwpar"), toys.root("toy").resolve("data"), restart,
                toys.command("stopwpar"), health));
    }

    private Path script(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            Files.writeString(p, text);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
