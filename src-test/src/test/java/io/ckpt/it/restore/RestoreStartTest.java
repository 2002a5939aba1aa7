package io.ckpt.it.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.it.Cli;
import io.ckpt.it.SharedServer;
import io.ckpt.it.ToyWparHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ckpt restore} with {@code --at} and {@code --start} as an operator uses it: a real server,
 * the real CLI, and the toy WPAR of contrib/toywpar restarted by an agent config's restart command
 * (a site script that puts the checkpoint's file system back, then runs {@code restartwpar}).
 * Checkpoints are taken with the toy's {@code chkptwpar -p} and pushed with past {@code --taken-at}
 * times by host {@code it-a}, which thereby owns the WPARs.
 */
class RestoreStartTest extends SharedServer {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private ToyWparHome toys;
    private final List<String> running = new ArrayList<>();
    private int taken;

    /** One checkpoint as pushed: its id, when it was taken, and the toy's counter in it. */
    private record Taken(long id, Instant takenAt, long counter) {}

    @AfterEach
    void stopToys() {
        for (String wpar : running) {
            toys.stop(wpar);
        }
    }

    @Test
    void atPicksTheCheckpointStartRestartsTheToyFromItAndOwnershipFencesASecondHost() throws Exception {
        toys = ToyWparHome.create(dir.resolve("toywpars"), 50);
        startToy("toy1");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Taken c1 = checkpoint("toy1", now.minus(Duration.ofHours(3)));
        Taken c2 = checkpoint("toy1", now.minus(Duration.ofHours(2)));
        Taken c3 = checkpoint("toy1", now.minus(Duration.ofHours(1)));

        // --at: a relative form, and a local time without offset exactly at a checkpoint.
        Path at = dir.resolve("at");
        Cli.Result r = ckpt.run("restore", "--wpar", "toy1", "--at", "150m ago", "--to", at.toString()).assertOk();
        assertTrue(r.stderr().contains("restoring checkpoint " + c1.id() + " of WPAR toy1 taken at "), r::toString);
        assertTrue(r.stderr().contains(" local)"), "the time in local time too: " + r);
        assertEquals(c1.counter(), counterIn(at.resolve("state")));
        String localC2 = LocalDateTime.ofInstant(c2.takenAt(), ZoneId.systemDefault()).toString();
        JsonNode j = ckpt.run("restore", "--wpar", "toy1", "--at", localC2, "--to", dir.resolve("at2").toString(), "--json")
                .assertOk().json();
        assertEquals(c2.id(), j.path("checkpoint").path("id").asLong(), j::toString);
        assertEquals(c2.takenAt(), Instant.parse(j.path("taken_at").asText()));
        assertEquals(c2.takenAt(), OffsetDateTime.parse(j.path("taken_at_local").asText()).toInstant(), j::toString);

        // A target that is not empty is refused and left as it was; --force replaces it whole.
        r = ckpt.run("restore", "--wpar", "toy1", "--id", Long.toString(c3.id()), "--to", at.toString()).assertExit(2);
        assertTrue(r.stderr().contains("is not empty") && r.stderr().contains("--force"), r::toString);
        assertEquals(c1.counter(), counterIn(at.resolve("state")), "the refused restore changed nothing");
        ckpt.run("restore", "--wpar", "toy1", "--id", Long.toString(c3.id()), "--to", at.toString(), "--force").assertOk();
        assertEquals(c3.counter(), counterIn(at.resolve("state")));
        assertFalse(Files.exists(dir.resolve(".at.ckpt-partial")) || Files.exists(dir.resolve(".at.ckpt-old")),
                "nothing staged or old is left beside it");

        // --start on host it-a (the owner): the toy restarts from checkpoint 2, memory and files.
        toys.stop("toy1");
        running.remove("toy1");
        Path configA = agentConfig("it-a", "toy1");
        j = start("toy1", configA, "--at", "90m ago").assertOk().json();
        running.add("toy1");
        assertEquals(c2.id(), j.path("checkpoint").path("id").asLong(), j::toString);
        assertTrue(j.path("started").asBoolean(), j::toString);
        JsonNode attempt = j.path("attempts").get(0);
        assertEquals("healthy", attempt.path("result").asText(), j::toString);
        assertEquals(List.of("restore", "claim", "restart", "health"), steps(attempt));
        for (JsonNode s : attempt.path("steps")) {
            assertTrue(s.path("ok").asBoolean() && s.has("duration_ms"), s::toString);
        }
        assertEquals("it-a", j.path("owner").path("owner").asText(), j::toString);
        assertEquals(1, j.path("owner").path("epoch").asLong(), j::toString);
        assertFalse(j.path("owner").path("changed").asBoolean(), "it-a owned toy1 since its first upload: " + j);
        assertRunsFrom("toy1", c2);

        // Host it-b is refused while it-a owns the WPAR, and nothing is restarted.
        Path configB = agentConfig("it-b", "toy1");
        r = start("toy1", configB, "--latest").assertExit(7);
        assertTrue(r.stderr().contains("owned by it-a (epoch 1)"), r::toString);
        assertFalse(Files.exists(dir.resolve("state-it-b/restore/toy1")), "the refused start left its target as it was");
        assertRunsFrom("toy1", c2);

        // it-a is "down": it-b takes over and starts the newest; it-a's uploads are refused from then on.
        toys.stop("toy1");
        running.remove("toy1");
        j = start("toy1", configB, "--latest", "--take-over").assertOk().json();
        running.add("toy1");
        assertEquals(c3.id(), j.path("checkpoint").path("id").asLong(), j::toString);
        assertEquals("it-b", j.path("owner").path("owner").asText(), j::toString);
        assertEquals(2, j.path("owner").path("epoch").asLong(), j::toString);
        assertEquals("it-a", j.path("owner").path("previous_owner").asText(), j::toString);
        assertRunsFrom("toy1", c3);
        r = ckpt.run("push", "--wpar", "toy1", "--host-id", "it-a", at.toString()).assertExit(7);
        assertTrue(r.stderr().contains("owned by it-b (epoch 2)"), r::toString);
    }

    @Test
    void unhealthyStartIsMarkedBadStoppedAndFallbackBringsUpThePreviousGoodCheckpoint() throws Exception {
        toys = ToyWparHome.create(dir.resolve("toywpars"), 50);
        startToy("toy2");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Taken good = checkpoint("toy2", now.minus(Duration.ofMinutes(20)));
        Path poison = Files.createFile(toys.root("toy2").resolve("data/poison")); // its application data is broken
        Taken broken = checkpoint("toy2", now.minus(Duration.ofMinutes(10)));
        Files.delete(poison);
        toys.stop("toy2");
        running.remove("toy2");

        Cli.Result r = start("toy2", agentConfig("it-a", "toy2"), "--last-known-good", "--fallback").assertOk();
        running.add("toy2");
        JsonNode j = r.json();
        JsonNode attempts = j.path("attempts");
        assertEquals(2, attempts.size(), j::toString);
        assertEquals(broken.id(), attempts.get(0).path("checkpoint_id").asLong(), j::toString);
        assertEquals("unhealthy", attempts.get(0).path("result").asText(), j::toString);
        assertEquals(List.of("restore", "claim", "restart", "health", "mark-bad", "stop"), steps(attempts.get(0)));
        assertEquals(good.id(), attempts.get(1).path("checkpoint_id").asLong(), j::toString);
        assertEquals("healthy", attempts.get(1).path("result").asText(), j::toString);
        assertEquals(List.of("restore", "confirm", "restart", "health"), steps(attempts.get(1)));
        assertRunsFrom("toy2", good);

        JsonNode marked = ckpt.run("show", Long.toString(broken.id()), "--json").assertOk().json().path("checkpoint");
        assertEquals("bad", marked.path("health").asText(), marked::toString);
        assertTrue(marked.path("health_reason").asText().contains("did not come up healthy"), marked::toString);
        JsonNode lkg = ckpt.run("restore", "--wpar", "toy2", "--last-known-good", "--to", dir.resolve("lkg").toString(),
                "--json").assertOk().json();
        assertEquals(good.id(), lkg.path("checkpoint").path("id").asLong(), "the bad one is no longer the LKG");
    }

    @Test
    void withoutToTheRestoreNeedsTheWparInTheAgentConfig() throws Exception {
        assumeFalse(Files.exists(Path.of("/etc/ckpt/agent.yaml")), "this host has an agent config at the default path");
        toys = ToyWparHome.create(dir.resolve("toywpars"), 50);
        Cli.Result r = ckpt.run("restore", "--wpar", "toy9", "--latest").assertExit(2);
        assertTrue(r.stderr().contains("give --to DIR|FILE|-, or --config FILE")
                && r.stderr().contains("/etc/ckpt/agent.yaml does not exist"), r::toString);
        r = ckpt.run("restore", "--wpar", "toy9", "--latest", "--config", agentConfig("it-a", "toy8").toString()).assertExit(2);
        assertTrue(r.stderr().contains("WPAR 'toy9' is not in the agent config") && r.stderr().contains("its WPARs: toy8"),
                r::toString);
    }

    /** {@code ckpt restore --wpar W --start --json --config CONFIG ...} with the toy's environment. */
    private Cli.Result start(String wpar, Path config, String... more) {
        List<String> args = new ArrayList<>(List.of("restore", "--wpar", wpar, "--start", "--json", "--config", config.toString()));
        args.addAll(List.of(more));
        Cli.Invocation inv = ckpt.command(args.toArray(String[]::new));
        toys.env().forEach(inv::env);
        toys.track(wpar);
        return inv.run();
    }

    /** Starts a fresh toy and waits until it has counted a little, so that its journal has lines. */
    private void startToy(String wpar) throws Exception {
        toys.start(wpar);
        running.add(wpar);
        Path state = toys.root(wpar).resolve("run/state.json");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(state) || JSON.readTree(Files.readString(state)).path("counter").asLong() < 5) {
            assertTrue(System.nanoTime() < deadline, "toy " + wpar + " does not count");
            Thread.sleep(50);
        }
    }

    /**
     * An agent config for {@code host} with WPAR {@code wpar}: the restart command is a site script that puts the
     * restored file system back and runs restartwpar; the health check wants the toy running and its data not
     * poisoned; the stop command is stopwpar.
     */
    private Path agentConfig(String host, String wpar) throws IOException {
        Path restart = script("restart-toy", """
                #!/bin/sh
                # restart-toy STATEDIR LOGFILE WPAR: the checkpoint's file system back in place, then restartwpar
                set -e
                data="$TOYWPAR_HOME/$3/data"
                rm -rf "$data"
                cp -a "$1/../fs/data" "$data"
                exec %s -d "$1" -o "$2" "$3"
                """.formatted(toys.command("restartwpar")));
        Path health = script("toy-health", """
                #!/bin/sh
                root="$TOYWPAR_HOME/$1"
                test "$(cat "$root/run/status")" = running || { echo "toy $1 is not running" >&2; exit 1; }
                test ! -e "$root/data/poison" || { echo "toy $1: data poisoned" >&2; exit 2; }
                """);
        return Files.writeString(dir.resolve("agent-" + host + ".yaml"), """
                server: %s
                host-id: %s
                state-dir: %s
                wpars:
                  - name: %s
                    source: { preset: aix, command: "%s -p -d {statedir} -o {logfile} {wpar}", paused: true, resume-command: "%s {wpar}" }
                    filesystems:
                      - { name: data, directory: %s }
                    restart: { command: "%s {statedir} {logfile} {wpar}" }
                    stop: { command: "%s {wpar}" }
                    health: { command: "%s {wpar}", wait: 4s }
                """.formatted(server.address(), host, dir.resolve("state-" + host), wpar, toys.command("chkptwpar"),
                toys.command("resumewpar"), toys.root(wpar).resolve("data"), restart, toys.command("stopwpar"), health));
    }

    private Path script(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            Files.writeString(p, text);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return p;
    }

    /**
     * A checkpoint as the agent's aix preset takes it: the toy paused by {@code chkptwpar -p}, its data directory
     * copied, resumed; then pushed by host it-a, marked good, with {@code takenAt}.
     */
    private Taken checkpoint(String wpar, Instant takenAt) throws IOException {
        Path cp = dir.resolve("checkpoint-" + ++taken);
        toys.checkpointPaused(wpar, cp.resolve("state"), dir.resolve("chkptwpar.log"));
        try {
            copyTree(toys.root(wpar).resolve("data"), cp.resolve("fs/data"));
        } finally {
            toys.resume(wpar);
        }
        Cli.Result r = ckpt.run("push", "--wpar", wpar, "--host-id", "it-a", "--health", "good", "--taken-at",
                takenAt.toString(), cp.toString()).assertOk();
        return new Taken(Long.parseLong(r.stdout().strip()), takenAt, counterIn(cp.resolve("state")));
    }

    /** The toy runs, restarted from {@code c}: its memory's counter and its journal's last line are c's. */
    private void assertRunsFrom(String wpar, Taken c) {
        JsonNode s = toys.status(wpar);
        assertEquals("running", s.path("state").asText(), s::toString);
        assertEquals(c.counter(), s.path("restored_from_counter").asLong(), "memory restored from checkpoint " + c + ": " + s);
        assertEquals(Long.toString(c.counter()), s.path("journal_last_at_start").asText(),
                "files restored from checkpoint " + c + " agree with its memory: " + s);
        assertTrue(s.path("counter").asLong() >= c.counter(), "it counts on from there: " + s);
    }

    private static long counterIn(Path statedir) throws IOException {
        return JSON.readTree(statedir.resolve("meta.json").toFile()).path("counter").asLong();
    }

    private static List<String> steps(JsonNode attempt) {
        List<String> names = new ArrayList<>();
        attempt.path("steps").forEach(s -> names.add(s.path("step").asText()));
        return names;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.sorted(Comparator.naturalOrder()).toList()) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
