package io.ckpt.agent.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.ConfigException;
import io.ckpt.agent.config.HostEnvironment;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.net.ClientException;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restore, ownership, restart, health and fallback steps against a fake server and shell
 * commands standing in for a WPAR: "running" means the file {@code RUN} exists, holding the
 * restored statefile's word; healthy means that word is {@code ok}.
 */
class RestoreAndStartTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2026-11-26T08:00:00Z");

    @TempDir
    Path dir;
    private Path run;
    private FakeServer server;

    @BeforeEach
    void setUp() {
        run = dir.resolve("RUN");
        server = new FakeServer();
    }

    /** A WPAR whose restart refuses to start a second copy, as restartwpar does, and whose stop removes RUN. */
    private WparConfig wpar(boolean withStop, boolean withHealth) throws ConfigException {
        String yaml = """
                state-dir: %s
                host-id: node-a
                wpars:
                  - name: web01
                    source: { preset: command, command: "true {statedir}" }
                    restart: { command: "sh -c 'test ! -e %s && cp \\"$1/word\\" %s' restart {statedir}" }
                """.formatted(dir.resolve("agent"), run, run)
                + (withStop ? "    stop: { command: \"rm -f " + run + "\" }\n" : "")
                + (withHealth ? "    health: { command: \"grep -qx ok " + run + "\" }\n" : "");
        return AgentConfig.parse("agent.yaml", yaml, HostEnvironment.of(null, "node-a")).wpar("web01").orElseThrow();
    }

    private StartResult run(WparConfig w, CheckpointSelector sel, boolean fallback) throws IOException {
        return run(w, sel, new RestoreAndStart.Options(dir.resolve("target"), false, new OwnershipCheck.Claim(false),
                fallback, Duration.ZERO));
    }

    private StartResult run(WparConfig w, CheckpointSelector sel, RestoreAndStart.Options o) throws IOException {
        return new RestoreAndStart(server, "node-a", dir.resolve("logs"), RestoreAndStart.Listener.NONE).run(w, sel, o);
    }

    private static List<String> stepNames(StartResult.Attempt a) {
        return a.steps().stream().map(StartResult.Step::name).toList();
    }

    @Test
    void healthyStartClaimsRestartsFromTheRestoredStatedirAndChecksHealth() throws Exception {
        server.add(1, "good", "ok");
        server.add(2, "unknown", "ok");
        StartResult r = run(wpar(true, true), new CheckpointSelector.Latest(), false);

        assertTrue(r.started(), r.toString());
        assertEquals(1, r.attempts().size());
        StartResult.Attempt a = r.last();
        assertEquals(2, a.checkpoint().id());
        assertEquals(StartResult.Outcome.HEALTHY, a.outcome());
        assertEquals(List.of("restore", "claim", "restart", "health"), stepNames(a));
        assertEquals("ok\n", Files.readString(run), "restarted from the restored statefile");
        assertEquals("ok\n", Files.readString(dir.resolve("target/state/word")));
        JsonNode claim = server.requests("claim").get(0);
        assertEquals("node-a", claim.path("host").asText());
        assertFalse(claim.path("take_over").asBoolean(true));
        assertEquals(new StartResult.Owner("web01", "node-a", 1, null, true), r.owner().orElseThrow());
        assertTrue(server.requests("mark").isEmpty(), "nothing marked");
        assertTrue(Files.exists(dir.resolve("logs")), "the {logfile} directory exists");
    }

    @Test
    void unhealthyCheckpointIsMarkedBadStoppedAndFallbackStartsTheNewestGoodOlderOne() throws Exception {
        server.add(1, "good", "ok");
        server.add(2, "unknown", "ok"); // not marked good: a fallback skips it
        server.add(3, "good", "poison");
        StartResult r = run(wpar(true, true), new CheckpointSelector.Latest(), true);

        assertTrue(r.started(), r.toString());
        assertEquals(List.of(3L, 1L), r.attempts().stream().map(a -> a.checkpoint().id()).toList());
        StartResult.Attempt failed = r.attempts().get(0);
        assertEquals(StartResult.Outcome.UNHEALTHY, failed.outcome());
        assertEquals(List.of("restore", "claim", "restart", "health", "mark-bad", "stop"), stepNames(failed));
        assertTrue(failed.error().contains("exited 1"), failed.error());
        assertEquals(List.of("restore", "confirm", "restart", "health"), stepNames(r.last()));
        assertEquals("bad", server.health.get(3L));
        String reason = server.requests("mark").get(0).path("reason").asText();
        assertTrue(reason.contains("node-a") && reason.contains("grep -qx ok"), reason);
        assertEquals(1, server.requests("confirm").get(0).path("epoch").asLong(), "the fallback confirms the claimed epoch");
        assertEquals(1, server.requests("claim").size());
        assertEquals("ok\n", Files.readString(run));
        assertEquals("ok\n", Files.readString(dir.resolve("target/state/word")), "the older checkpoint replaced the first");
        assertNoLeftovers();
    }

    @Test
    void withoutFallbackAnUnhealthyStartEndsAfterMarkingAndStopping() throws Exception {
        server.add(1, "good", "ok");
        server.add(2, "good", "poison");
        StartResult r = run(wpar(true, true), new CheckpointSelector.Latest(), false);

        assertFalse(r.started());
        assertEquals(1, r.attempts().size());
        assertEquals("no fallback asked for", r.end());
        assertEquals("bad", server.health.get(2L));
        assertFalse(Files.exists(run), "stopped");
    }

    @Test
    void withoutAStopCommandTheUnhealthyWparIsLeftRunningAndNoFallbackIsTried() throws Exception {
        server.add(1, "good", "ok");
        server.add(2, "good", "poison");
        StartResult r = run(wpar(false, true), new CheckpointSelector.Latest(), true);

        assertFalse(r.started());
        assertEquals(1, r.attempts().size());
        StartResult.Step stop = r.last().steps().get(r.last().steps().size() - 1);
        assertEquals("stop", stop.name());
        assertFalse(stop.ok());
        assertTrue(stop.summary().contains("no stop command"), stop.summary());
        assertTrue(r.end().contains("may still be running from checkpoint 2"), r.end());
        assertEquals(StartResult.State.UNKNOWN, r.state(), "a start that may still run is neither started nor not started");
        assertEquals(StartResult.Outcome.UNHEALTHY_NOT_STOPPED, r.last().outcome());
        assertEquals("poison\n", Files.readString(run));
    }

    /** A restart killed by its timeout may have started the WPAR (issue 20): unknown, no fallback, nothing marked. */
    @Test
    void restartKilledByItsTimeoutIsUnknownAndNothingElseIsTried() throws Exception {
        server.add(1, "good", "ok");
        server.add(2, "good", "ok");
        WparConfig w = AgentConfig.parse("agent.yaml", """
                state-dir: %s
                host-id: node-a
                wpars:
                  - name: web01
                    source: { preset: command, command: "true {statedir}" }
                    restart: { command: "sleep 30" }
                    timeouts: { restart: 1s }
                """.formatted(dir.resolve("agent")), HostEnvironment.of(null, "node-a")).wpar("web01").orElseThrow();
        StartResult r = run(w, new CheckpointSelector.Latest(), true);

        assertEquals(1, r.attempts().size(), "no fallback after a restart that may have worked");
        assertEquals(StartResult.Outcome.RESTART_UNKNOWN, r.last().outcome());
        assertEquals(StartResult.State.UNKNOWN, r.state());
        assertTrue(r.last().error().contains("may be running from checkpoint 2"), r.last().error());
        assertTrue(server.requests("mark").isEmpty(), "nothing marked");
    }

    @Test
    void fallbackEndsWhenNoOlderGoodCheckpointIsLeftNamingEveryAttempt() throws Exception {
        server.add(1, "good", "poison");
        server.add(2, "good", "poison");
        StartResult r = run(wpar(true, true), new CheckpointSelector.LastKnownGood(), true);

        assertFalse(r.started());
        assertEquals(List.of(2L, 1L), r.attempts().stream().map(a -> a.checkpoint().id()).toList());
        assertEquals("no checkpoint marked good older than checkpoint 1 is left", r.end());
        assertEquals("bad", server.health.get(1L));
        assertEquals("bad", server.health.get(2L));
        JsonNode json = r.toJson(java.time.ZoneId.of("Europe/Berlin"));
        assertEquals(2, json.path("attempts").size());
        assertEquals("unhealthy", json.path("attempts").get(1).path("result").asText());
        assertEquals("2026-11-26T09:01:00+01:00", json.path("attempts").get(1).path("taken_at_local").asText());
        assertEquals("2026-11-26T08:01:00Z", json.path("attempts").get(1).path("taken_at").asText());
    }

    @Test
    void failedRestartIsNotMarkedBadAndStopsNothing() throws Exception {
        server.add(1, "good", "ok");
        server.add(2, "good", "ok");
        Files.writeString(run, "already running\n"); // the WPAR runs here already: restart refuses
        StartResult r = run(wpar(true, true), new CheckpointSelector.Latest(), true);

        assertFalse(r.started());
        assertEquals(2, r.attempts().size());
        for (StartResult.Attempt a : r.attempts()) {
            assertEquals(StartResult.Outcome.RESTART_FAILED, a.outcome());
            assertEquals(List.of("restore", a.number() == 1 ? "claim" : "confirm", "restart"), stepNames(a));
        }
        assertTrue(server.requests("mark").isEmpty(), "a failed restart says nothing about the checkpoint");
        assertEquals("already running\n", Files.readString(run), "the copy that ran before is not stopped");
    }

    @Test
    void noHealthCheckStartsWithHealthUnknown() throws Exception {
        server.add(1, "good", "poison");
        StartResult r = run(wpar(true, false), new CheckpointSelector.Id(1), false);

        assertTrue(r.started());
        assertEquals(StartResult.Outcome.STARTED_UNCHECKED, r.last().outcome());
        assertEquals("unknown", r.last().steps().get(3).fields().path("health").asText());
    }

    @Test
    void refusedClaimEndsTheRunBeforeAnyRestart() throws Exception {
        server.add(1, "good", "ok");
        server.owner = "node-b";
        ClientException e = assertThrows(ClientException.class,
                () -> run(wpar(true, true), new CheckpointSelector.Latest(), true));
        assertEquals(ErrorCode.REFUSED, e.code());
        assertTrue(e.getMessage().contains("owned by node-b"), e.getMessage());
        assertFalse(Files.exists(run), "nothing restarted");
        assertFalse(Files.exists(dir.resolve("target")), "the target is left as it was, so a retry needs no --force");
    }

    @Test
    void takeOverAndConfirmAreSentAsAsked() throws Exception {
        server.add(1, "good", "ok");
        server.owner = "node-b";
        StartResult r = run(wpar(true, true), new CheckpointSelector.Latest(), new RestoreAndStart.Options(
                dir.resolve("target"), false, new OwnershipCheck.Claim(true), false, Duration.ZERO));
        assertTrue(r.owner().orElseThrow().changed());
        assertEquals("node-b", r.owner().get().previousOwner());
        assertTrue(server.requests("claim").get(0).path("take_over").asBoolean());

        Files.delete(run);
        r = run(wpar(true, true), new CheckpointSelector.Latest(), new RestoreAndStart.Options(
                dir.resolve("target"), true, new OwnershipCheck.Confirm(2), false, Duration.ZERO));
        assertTrue(r.started());
        assertEquals(List.of("restore", "confirm", "restart", "health"), stepNames(r.last()));
        assertEquals(2, server.requests("confirm").get(0).path("epoch").asLong());
    }

    @Test
    void nonEmptyTargetIsRefusedUnlessReplacedAndReplacingLeavesNothingOfTheOld() throws Exception {
        server.add(1, "good", "ok");
        Path target = Files.createDirectories(dir.resolve("target"));
        Files.writeString(target.resolve("old-file"), "x");
        RestoreException e = assertThrows(RestoreException.class,
                () -> run(wpar(true, true), new CheckpointSelector.Latest(), false));
        assertEquals(RestoreException.Kind.BAD_TARGET, e.kind());
        assertTrue(e.getMessage().contains("is not empty") && e.getMessage().contains("--force"), e.getMessage());
        assertTrue(server.requests.isEmpty(), "refused before anything is asked of the server");

        StartResult r = run(wpar(true, true), new CheckpointSelector.Latest(), new RestoreAndStart.Options(
                target, true, new OwnershipCheck.Claim(false), false, Duration.ZERO));
        assertTrue(r.started());
        assertFalse(Files.exists(target.resolve("old-file")));
        assertEquals("ok\n", Files.readString(target.resolve("state/word")));
        assertNoLeftovers();
    }

    @Test
    void restoreDamagedInTransitKeepsTheOldTargetWhole() throws Exception {
        server.add(1, "good", "ok");
        server.damaged = true;
        Path target = Files.createDirectories(dir.resolve("target"));
        Files.writeString(target.resolve("old-file"), "x");
        RestoreException e = assertThrows(RestoreException.class, () -> run(wpar(true, true),
                new CheckpointSelector.Latest(), new RestoreAndStart.Options(target, true, new OwnershipCheck.Claim(false),
                        false, Duration.ZERO)));
        assertEquals(RestoreException.Kind.DAMAGED, e.kind());
        assertEquals("x", Files.readString(target.resolve("old-file")), "the old target is untouched");
        assertNoLeftovers();
        assertTrue(server.requests("claim").isEmpty(), "nothing claimed for a restore that failed");
    }

    @Test
    void healthIsRepeatedWhileHealthWaitLasts() throws Exception {
        server.add(1, "good", "ok");
        String yaml = """
                state-dir: %s
                wpars:
                  - name: web01
                    source: { preset: command, command: "true {statedir}" }
                    restart: { command: "sh -c '(sleep 1; touch %s) >/dev/null 2>&1 &'" }
                    health: { command: "test -e %s" }
                """.formatted(dir.resolve("agent"), run, run);
        WparConfig w = AgentConfig.parse("agent.yaml", yaml, HostEnvironment.of(null, "node-a")).wpar("web01").orElseThrow();
        StartResult r = run(w, new CheckpointSelector.Latest(), new RestoreAndStart.Options(dir.resolve("target"), false,
                new OwnershipCheck.Claim(false), false, Duration.ofSeconds(20)));
        assertTrue(r.started(), r.toString());
        StartResult.Step health = r.last().steps().get(3);
        assertTrue(health.fields().path("checks").asInt() >= 2, health.toString());
    }

    @Test
    void wparWithoutARestartCommandIsNotStartable() throws Exception {
        server.add(1, "good", "ok");
        String yaml = "state-dir: /s\nwpars:\n  - name: web01\n    source: { preset: command, command: \"true {statedir}\" }\n";
        WparConfig w = AgentConfig.parse("agent.yaml", yaml, HostEnvironment.of(null, "n")).wpar("web01").orElseThrow();
        RestoreException e = assertThrows(RestoreException.class, () -> run(w, new CheckpointSelector.Latest(), false));
        assertEquals(RestoreException.Kind.NOT_STARTABLE, e.kind());
        assertTrue(e.getMessage().contains("no restart command"), e.getMessage());
        assertTrue(server.requests.isEmpty(), "nothing asked of the server");
    }

    private void assertNoLeftovers() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> hidden = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
            assertEquals(List.of(), hidden, "no staging or old directory left beside the target");
        }
    }

    /** Checkpoints of web01 with a one-word statefile each, and the requests a restore and start make. */
    private static final class FakeServer implements ServerLink {
        final TreeMap<Long, String> health = new TreeMap<>();
        final TreeMap<Long, String> word = new TreeMap<>();
        final List<JsonNode> requests = new ArrayList<>();
        String owner;
        long epoch;
        boolean damaged;

        void add(long id, String h, String w) {
            health.put(id, h);
            word.put(id, w);
        }

        List<JsonNode> requests(String op) {
            return requests.stream().filter(r -> r.path("op").asText().equals(op)).toList();
        }

        private ObjectNode checkpoint(long id) {
            ObjectNode c = JSON.createObjectNode().put("id", id).put("wpar", "web01")
                    .put("taken_at", T0.plusSeconds(60 * id).toString()).put("health", health.get(id))
                    .put("logical_bytes", word.get(id).length() + 1);
            return JSON.createObjectNode().set("checkpoint", c);
        }

        @Override
        public JsonNode request(JsonNode req) throws IOException {
            requests.add(req);
            switch (req.path("op").asText()) {
                case "select" -> {
                    if (req.has("id")) {
                        return checkpoint(req.get("id").asLong());
                    }
                    long below = req.path("older_than_id").asLong(Long.MAX_VALUE);
                    boolean lkg = req.path("last_known_good").asBoolean();
                    return health.headMap(below, false).descendingMap().entrySet().stream()
                            .filter(e -> !lkg || e.getValue().equals("good")).findFirst()
                            .map(e -> checkpoint(e.getKey()))
                            .orElseThrow(() -> new ClientException(ErrorCode.NOT_FOUND, "nothing selected"));
                }
                case "show" -> {
                    ObjectNode o = JSON.createObjectNode();
                    o.putArray("parts").add(JSON.createObjectNode().put("name", "state").put("type", "directory"))
                            .add(JSON.createObjectNode().put("name", "state/word").put("type", "file"));
                    return o;
                }
                case "claim" -> {
                    String host = req.path("host").asText();
                    if (owner != null && !owner.equals(host) && !req.path("take_over").asBoolean()) {
                        throw new ClientException(ErrorCode.REFUSED, "WPAR web01 is owned by " + owner + " (epoch " + epoch + ")");
                    }
                    String previous = owner;
                    boolean changed = !host.equals(owner);
                    if (changed) {
                        owner = host;
                        epoch++;
                    }
                    ObjectNode o = JSON.createObjectNode().put("wpar", "web01").put("owner", owner).put("epoch", epoch);
                    o.put("previous_owner", previous);
                    return o.put("changed", changed);
                }
                case "confirm" -> {
                    return JSON.createObjectNode().put("wpar", "web01").put("owner", req.path("host").asText())
                            .put("epoch", req.path("epoch").asLong());
                }
                case "mark" -> {
                    health.put(req.path("id").asLong(), req.path("health").asText());
                    return checkpoint(req.path("id").asLong());
                }
                default -> throw new ClientException(ErrorCode.BAD_REQUEST, "unknown op " + req);
            }
        }

        @Override
        public void restore(long id, CkptClient.RestoreReceiver r) throws IOException {
            byte[] bytes = (word.get(id) + "\n").getBytes(StandardCharsets.UTF_8);
            r.header(checkpoint(id).get("checkpoint"));
            r.beginPart(new PartInfo("state", PartType.DIRECTORY, 0755, 0, ""));
            r.endPart(0, ChunkDigest.sha256().digest());
            r.beginPart(new PartInfo("state/word", PartType.FILE, 0644, 0, ""));
            r.data(ByteBuffer.wrap(bytes));
            byte[] sha = ChunkDigest.sha256().digest(bytes);
            if (damaged) {
                sha[0] ^= 1;
            }
            r.endPart(bytes.length, sha);
        }
    }
}
