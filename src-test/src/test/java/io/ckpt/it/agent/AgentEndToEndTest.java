package io.ckpt.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.AgentProcess;
import io.ckpt.it.Cli;
import io.ckpt.it.ToyWparHome;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real agent process checkpointing the toy WPAR of contrib/toywpar on a short schedule into a real
 * server on loopback: health recorded per checkpoint, spooling through a server outage, and the last
 * known good restored and restarted to exactly its state.
 */
class AgentEndToEndTest {
    private static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern TAKEN = Pattern.compile(
            "INFO AgentDaemon - WPAR toy1 checkpoint taken in \\d+ ms: \\d+ bytes spooled, health (\\w+)");
    private static final Pattern UPLOADED = Pattern.compile("INFO Uploader - WPAR toy1 checkpoint (\\d+) uploaded: (.*)");
    private static final Pattern UPLOAD_FAILED = Pattern.compile(
            "upload of WPAR toy1 failed|server \\S+ unreachable after \\d+ tries");

    @TempDir
    Path dir;
    private ToyWparHome toys;
    private final List<String> toysRunning = new ArrayList<>();
    private final List<AutoCloseable> processes = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        for (String wpar : toysRunning) {
            toys.stop(wpar);
        }
    }

    @Test
    void scheduledCheckpointsRecordHealthSurviveServerOutageAndLastKnownGoodRestartsToExactlyItsState() throws Exception {
        toys = ToyWparHome.create(dir.resolve("toywpars"), 50);
        toys.start("toy1");
        toysRunning.add("toy1");
        Path unhealthy = toys.root("toy1").resolve("unhealthy");
        int serverPort = freePort();
        int controlPort = freePort();
        Path stateDir = dir.resolve("agent-state");
        Path config = Files.writeString(dir.resolve("agent.yaml"), """
                server: 127.0.0.1:%d
                host-id: it-agent
                state-dir: %s
                control: 127.0.0.1:%d
                upload: { retries: 3, backoff: 1s, max-backoff: 2s }
                defaults:
                  schedule: { interval: %ds }
                wpars:
                  - name: toy1
                    source:
                      preset: aix
                      command: "%s -p -d {statedir} -o {logfile} {wpar}"
                      paused: true
                      resume-command: "%s {wpar}"
                    filesystems:
                      - { name: data, directory: %s }
                    health:
                      command: "sh -c 'test ! -e %s'"
                      when: after
                """.formatted(serverPort, stateDir, controlPort, INTERVAL.toSeconds(), toys.command("chkptwpar"),
                toys.command("resumewpar"), toys.root("toy1").resolve("data"), unhealthy));

        ServerProcess server = ServerProcess.on(dir.resolve("datastore")).port(serverPort).start();
        processes.add(server);
        AgentProcess agent = AgentProcess.start(config, toys.env());
        processes.add(agent);
        Cli ckpt = Cli.against("127.0.0.1:" + serverPort);
        String control = "127.0.0.1:" + controlPort;

        // Checkpoints on schedule; one taken while the health check fails is recorded bad.
        awaitCheckpoints(ckpt, agent, "3 checkpoints", c -> c.size() >= 3);
        Files.createFile(unhealthy);
        awaitCheckpoints(ckpt, agent, "a bad checkpoint", c -> c.stream().anyMatch(AgentEndToEndTest::bad));
        Files.delete(unhealthy);
        List<JsonNode> cps = awaitCheckpoints(ckpt, agent, "5 checkpoints, the newest good after a bad one",
                c -> c.size() >= 5 && c.stream().anyMatch(AgentEndToEndTest::bad) && good(c.get(c.size() - 1)));
        for (JsonNode c : cps) {
            assertEquals("complete", c.path("state").asText(), c::toString);
            assertEquals("scheduled", c.path("kind").asText(), c::toString);
            assertEquals("it-agent", c.path("host").asText(), c::toString);
            if (bad(c)) {
                assertTrue(c.path("health_reason").asText().contains("health check"),
                        "a bad checkpoint says which check failed: " + c);
            } else {
                assertEquals("good", c.path("health").asText(), "health of a checkpoint taken while healthy: " + c);
            }
        }
        assertLastKnownGoodIsNewestGood(cps);
        assertTrue(agent.matches(0, TAKEN).stream().anyMatch(m -> m.group(1).equals("bad")),
                "the agent logs the checkpoint taken while unhealthy as bad:\n" + agent.log());

        // The server stops for more than two intervals: checkpoints go on, into the spool.
        server.stop();
        long outage = System.nanoTime();
        int mark = agent.logMark();
        agent.awaitCount(mark, TAKEN, 2, WAIT);
        Set<Instant> takenWhileDown = new TreeSet<>();
        JsonNode down = awaitStatus(ckpt, control, agent, "2 checkpoints spooled", w -> w.path("spooled").asInt() >= 2);
        recordSpooledRun(down, takenWhileDown);
        agent.awaitLog(mark, UPLOAD_FAILED, WAIT);
        while (System.nanoTime() - outage < INTERVAL.multipliedBy(2).plusMillis(500).toNanos()) {
            Thread.sleep(100);
        }
        recordSpooledRun(status(ckpt, control), takenWhileDown);

        // Started again on the same address and datastore, it receives every spooled checkpoint.
        server = server.restart();
        processes.add(server);
        int restarted = agent.logMark();
        // Every checkpoint taken while the server was down reaches it. (Not "the spool is empty":
        // with a 2 s schedule on a loaded machine a new checkpoint may always be waiting.)
        awaitOnServer(ckpt, agent, takenWhileDown);
        agent.awaitLog(restarted, UPLOADED, WAIT);
        assertTrue(server.log().contains("delta upload of checkpoint"),
                "spooled checkpoints go in delta mode (upload.mode auto):\n" + server.log());
        agent.stop();

        List<JsonNode> onServer = list(ckpt);
        Set<Instant> takenAts = new HashSet<>();
        for (JsonNode c : onServer) {
            assertTrue(takenAts.add(Instant.parse(c.path("taken_at").asText())), "two checkpoints taken at the same time: "
                    + c + " in " + onServer);
        }
        for (Instant t : takenWhileDown) {
            assertTrue(takenAts.contains(t), "checkpoint taken at " + t + " while the server was down is on the server: "
                    + onServer);
        }
        assertFalse(agent.log().contains(" ERROR "), "no checkpoint or upload failed in between:\n" + agent.log());
        int taken = agent.matches(0, TAKEN).size();
        int leftInSpool = spoolEntries(stateDir);
        assertEquals(taken, onServer.size() + leftInSpool, "checkpoints the agent took (" + taken + ") = on the server ("
                + onServer.size() + ") + left in the spool at stop (" + leftInSpool + "); agent log:\n" + agent.log());
        // How many wait in the spool at stop depends on the machine's speed against the 2 s schedule;
        // what must hold is the sum above (nothing lost) and that the outage's checkpoints arrived.
        Set<Long> uploadedIds = new TreeSet<>();
        agent.matches(0, UPLOADED).forEach(m -> uploadedIds.add(Long.parseLong(m.group(1))));
        Set<Long> serverIds = new TreeSet<>();
        onServer.forEach(c -> serverIds.add(c.path("id").asLong()));
        assertEquals(serverIds, uploadedIds, "the ids the agent logged as uploaded are the server's");

        // The last known good, restored and restarted, resumes with exactly its state: memory and files.
        JsonNode lkg = assertLastKnownGoodIsNewestGood(onServer);
        Path restored = dir.resolve("restored");
        JsonNode r = ckpt.run("restore", "--wpar", "toy1", "--last-known-good", "--to", restored.toString(), "--json")
                .assertOk().json();
        assertEquals(lkg.path("id").asLong(), r.path("checkpoint").path("id").asLong(), "restored checkpoint: " + r);
        JsonNode statefile = toys.inspect(restored.resolve("state"));
        long counter = statefile.path("counter").asLong();
        assertEquals(Long.toString(counter), lastLine(restored.resolve("fs/data/journal.log")),
                "the checkpoint's journal ends at its statefile's counter");

        toys.stop("toy1");
        toysRunning.remove("toy1");
        Path data = toys.root("toy1").resolve("data");
        deleteTree(data);
        Files.move(restored.resolve("fs/data"), data);
        toys.restart("toy1", restored.resolve("state"), dir.resolve("restartwpar.log"));
        toysRunning.add("toy1");
        JsonNode after = toys.status("toy1");
        assertEquals(counter, after.path("restored_from_counter").asLong(), "memory restored from the LKG: " + after);
        assertEquals(statefile.path("memory_sha256").asText(), after.path("restored_memory_sha256").asText(),
                "memory image restored from the LKG: " + after);
        assertEquals(Long.toString(counter), after.path("journal_last_at_start").asText(),
                "files restored from the LKG agree with its memory: " + after);
    }

    @Test
    void sigtermDuringPausedCheckpointFinishesItResumesTheWparAndThenExits() throws Exception {
        toys = ToyWparHome.create(dir.resolve("toywpars"), 50);
        toys.start("toy1");
        toysRunning.add("toy1");
        Path capturing = dir.resolve("capturing");
        Path stateDir = dir.resolve("agent-state");
        // The schedule's first run starts at once; its second file system takes 3 s, while the toy is paused.
        Path config = Files.writeString(dir.resolve("agent.yaml"), """
                server: 127.0.0.1:%d
                host-id: it-agent
                state-dir: %s
                control: 127.0.0.1:%d
                defaults:
                  schedule: { interval: 1h }
                wpars:
                  - name: toy1
                    source:
                      preset: aix
                      command: "%s -p -d {statedir} -o {logfile} {wpar}"
                      paused: true
                      resume-command: "%s {wpar}"
                    filesystems:
                      - { name: data, directory: %s }
                      - { name: slow, command: "sh -c 'touch %s; sleep 3; echo slow'" }
                """.formatted(freePort(), stateDir, freePort(), toys.command("chkptwpar"), toys.command("resumewpar"),
                toys.root("toy1").resolve("data"), capturing));
        AgentProcess agent = AgentProcess.start(config, toys.env());
        processes.add(agent);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!Files.exists(capturing)) {
            if (System.nanoTime() > deadline || !agent.isAlive()) {
                fail("the checkpoint did not reach its slow file system in " + WAIT.toSeconds() + " s; agent log:\n"
                        + agent.log());
            }
            Thread.sleep(50);
        }
        assertEquals("paused", toyState("toy1"), "chkptwpar -p paused the toy for the capture");

        agent.stop();

        assertEquals("running", toyState("toy1"), "the agent resumed the WPAR before it exited; agent log:\n" + agent.log());
        assertEquals(1, agent.count(0, TAKEN), "the checkpoint under way at SIGTERM was finished; agent log:\n"
                + agent.log());
        assertEquals(1, spoolEntries(stateDir), "and spooled, to be uploaded at the next start");
        assertTrue(agent.log().contains("INFO AgentDaemon - agent stopped"), agent::log);
    }

    @Test
    void failingCheckpointCommandIsRecordedWithItsStderrUploadsNothingAndTheScheduleGoesOn() throws Exception {
        ServerProcess server = ServerProcess.start(dir.resolve("datastore"));
        processes.add(server);
        int controlPort = freePort();
        Path stateDir = dir.resolve("agent-state");
        Path config = Files.writeString(dir.resolve("agent.yaml"), """
                server: %s
                host-id: it-agent
                state-dir: %s
                control: 127.0.0.1:%d
                defaults:
                  schedule: { interval: %ds }
                wpars:
                  - name: boom1
                    source:
                      preset: command
                      command: "sh -c 'echo boom >&2; exit 3' checkpoint {statedir}"
                """.formatted(server.address(), stateDir, controlPort, INTERVAL.toSeconds()));
        AgentProcess agent = AgentProcess.start(config, Map.of());
        processes.add(agent);
        Cli ckpt = Cli.against(server);

        Pattern failed = Pattern.compile("ERROR AgentDaemon - WPAR boom1 checkpoint failed after \\d+ ms: .*exited 3: boom");
        agent.awaitCount(0, failed, 2, WAIT);
        JsonNode w = status(ckpt, "127.0.0.1:" + controlPort);
        JsonNode failures = w.path("recent_failures");
        assertTrue(failures.size() >= 2, "two failures recorded: " + w);
        for (JsonNode f : failures) {
            assertEquals("failed", f.path("result").asText(), f::toString);
            assertTrue(f.path("error").asText().contains("boom"), "the failure carries the command's stderr: " + f);
        }
        assertTrue(Instant.parse(failures.get(0).path("started_at").asText())
                .isAfter(Instant.parse(failures.get(1).path("started_at").asText())), "newest failure first: " + w);
        assertEquals("failed", w.path("last").path("result").asText(), w::toString);
        assertEquals(0, w.path("spooled").asInt(), w::toString);
        assertEquals(0, spoolEntries(stateDir), "nothing spooled for a failed checkpoint");
        agent.stop();

        assertEquals(0, ckpt.run("list", "--all", "--json").assertOk().json().path("checkpoints").size(),
                "nothing uploaded for a failed checkpoint");
        assertFalse(agent.log().contains("uploaded"), agent::log);
    }

    @Test
    void invalidConfigExitsWith2NamingFileLineAndKeyAndStartsNothing() throws Exception {
        int controlPort = freePort();
        Path stateDir = dir.resolve("agent-state");
        Path config = Files.writeString(dir.resolve("agent.yaml"), """
                server: 127.0.0.1:1
                state-dir: %s
                control: 127.0.0.1:%d
                wpars:
                  - name: web01
                    source: { preset: command, command: "true {statedir}" }
                    schedule: { interval: 90x }
                """.formatted(stateDir, controlPort));

        AgentProcess agent = AgentProcess.launch(config, Map.of());
        processes.add(agent);
        assertEquals(2, agent.awaitExit(WAIT), agent::log);
        assertEquals("ckpt agent: " + config + ":7:27: wpars[0].schedule.interval: '90x' is not a duration"
                + " (use 30s, 15m, 1h, 1d)", agent.log().strip(), "one line naming file, line, column and key");
        assertFalse(Files.exists(stateDir), "no state directory created");
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", controlPort), 1000);
            fail("something listens on the control port " + controlPort + " of an agent that refused to start");
        } catch (IOException expected) {
            // nothing listens
        }
    }

    /** Polls the server until the WPAR's checkpoints satisfy {@code until}; returns them, oldest first. */
    private static List<JsonNode> awaitCheckpoints(Cli ckpt, AgentProcess agent, String what,
            Predicate<List<JsonNode>> until) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            List<JsonNode> cps = list(ckpt);
            if (until.test(cps)) {
                return cps;
            }
            if (System.nanoTime() > deadline || !agent.isAlive()) {
                fail("waited " + WAIT.toSeconds() + " s for " + what + "; the server has " + cps
                        + "\nagent log:\n" + agent.log());
            }
            Thread.sleep(300);
        }
    }

    /** Polls the server until it lists a checkpoint of toy1 taken at each of {@code takenAt}. */
    private static void awaitOnServer(Cli ckpt, AgentProcess agent, Set<Instant> takenAt) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Set<Instant> on = new HashSet<>();
            list(ckpt).forEach(c -> on.add(Instant.parse(c.path("taken_at").asText())));
            if (on.containsAll(takenAt)) {
                return;
            }
            if (System.nanoTime() > deadline || !agent.isAlive()) {
                fail("waited " + WAIT.toSeconds() + " s for the checkpoints taken at " + takenAt
                        + " while the server was down to reach it; it has " + on + "\nagent log:\n" + agent.log());
            }
            Thread.sleep(300);
        }
    }

    /** Polls the agent until toy1's entry in its status satisfies {@code until}; returns that entry. */
    private static JsonNode awaitStatus(Cli ckpt, String control, AgentProcess agent, String what, Predicate<JsonNode> until)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            JsonNode w = status(ckpt, control);
            if (until.test(w)) {
                return w;
            }
            if (System.nanoTime() > deadline || !agent.isAlive()) {
                fail("waited " + WAIT.toSeconds() + " s for " + what + "; status " + w + "\nagent log:\n" + agent.log());
            }
            Thread.sleep(300);
        }
    }

    /** {@code ckpt status --control ... --json}: the only WPAR's entry. */
    private static JsonNode status(Cli ckpt, String control) {
        JsonNode wpars = ckpt.run("status", "--control", control, "--json").assertOk().json().path("wpars");
        assertEquals(1, wpars.size(), wpars::toString);
        return wpars.get(0);
    }

    /** Remembers when the last run in {@code status} started, if it was spooled. */
    private static void recordSpooledRun(JsonNode status, Set<Instant> takenAt) {
        JsonNode last = status.path("last");
        if ("spooled".equals(last.path("result").asText())) {
            takenAt.add(Instant.parse(last.path("started_at").asText()).truncatedTo(ChronoUnit.MILLIS));
        }
    }

    /** {@code ckpt list --wpar toy1 --json}: the complete checkpoints, oldest first. */
    private static List<JsonNode> list(Cli ckpt) {
        List<JsonNode> cps = new ArrayList<>();
        ckpt.run("list", "--wpar", "toy1", "--json").assertOk().json().path("checkpoints").forEach(cps::add);
        return cps;
    }

    /** The one checkpoint marked LKG, which must be the newest good one; returns it. */
    private static JsonNode assertLastKnownGoodIsNewestGood(List<JsonNode> cps) {
        JsonNode newestGood = cps.stream().filter(AgentEndToEndTest::good)
                .max(Comparator.comparing((JsonNode c) -> Instant.parse(c.path("taken_at").asText())))
                .orElseThrow(() -> new AssertionError("no good checkpoint in " + cps));
        List<JsonNode> lkg = cps.stream().filter(c -> c.path("lkg").asBoolean()).toList();
        assertEquals(List.of(newestGood), lkg, "the LKG is the newest good checkpoint, and only it: " + cps);
        return newestGood;
    }

    private static boolean good(JsonNode c) {
        return "good".equals(c.path("health").asText());
    }

    private static boolean bad(JsonNode c) {
        return "bad".equals(c.path("health").asText());
    }

    /** What the toy last published in {@code ROOT/run/status}: running, paused, stopped or broken. */
    private String toyState(String wpar) throws IOException {
        return Files.readString(toys.root(wpar).resolve("run/status")).strip();
    }

    /** Entries in the agent's spool (staging directories excluded). */
    private static int spoolEntries(Path stateDir) throws IOException {
        Path spool = stateDir.resolve("spool");
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(spool)) {
            return (int) s.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    private static String lastLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A port nothing listens on now; it may be taken before it is used, which the test would report. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
