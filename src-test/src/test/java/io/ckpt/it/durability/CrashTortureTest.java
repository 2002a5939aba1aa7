package io.ckpt.it.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.it.Sha256;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash torture (issue 13): a real server with 1 MiB packs, so that packs rotate and gc compacts
 * all the time, under concurrent stream and delta uploads, restores, gc, prune and protect from
 * in-JVM clients ({@link TortureWorkers}), killed with SIGKILL at a random moment of each round
 * and restarted on the same datastore, {@code -Dckpt.torture.kills=N} rounds (default 100). A
 * third of the rounds are gc storms: gc back to back beside three uploaders of mostly fresh data.
 *
 * <p>The seed is printed first; {@code -Dckpt.torture.seed=N} replays a run: the rounds' plans
 * (which clients run, when the kill comes) and every client's choices (sizes, contents, modes,
 * WPARs, which checkpoint to restore, prune or protect) come from it. The interleaving of threads
 * and processes does not, so a replay reaches the same kind of kill points, not the same instants.
 *
 * <p>Just before each kill the server is sent SIGQUIT: its thread dump (in its log) says what it
 * was doing at that instant; with what the clients had in flight it classifies the kill point
 * (mid-compaction, mid-gc, mid-prune, mid-commit, mid-upload, mid-restore, idle), and the report
 * at the end counts them.
 *
 * <p>After every restart a cheap check: the listing against {@link TortureModel} (every checkpoint
 * acknowledged as committed and not removed by an answered prune is listed, complete; nothing is
 * listed that the test did not upload or whose data was not all sent; an upload whose commit was
 * in flight at the kill may be there or not, and if there it is restored; a prune cut off by the
 * kill may have removed unprotected checkpoints of its WPAR; protected ones never; every WPAR that
 * had a good checkpoint still has one), a restore of {@value #SAMPLE} random checkpoints compared
 * by SHA-256 with what was sent, and {@code verify --full} every {@code -Dckpt.torture.verifyEvery}
 * rounds (default 10). At the end the full check: every checkpoint restored, verify --full, gc,
 * verify --full again. Every fault is collected (named by seed, round, kill phase and checkpoint)
 * and reported once; the test fails at the end if there is any. The server logs of a round with
 * a fault (the killed server's, thread dump included, and its successor's) are kept in
 * {@code target/crash-torture/seed-S-round-R.log}.
 *
 * <p>SIGKILL ends the process, not the machine: writes not yet fsynced survive in the page cache,
 * so a missing fsync (compaction's catalog change made durable only after its unlink, say) is
 * beyond what this test can see.
 */
@Tag("slow") // a hundred server restarts: run by .ci/run after the default suite
class CrashTortureTest {
    private static final long SEED = Long.getLong("ckpt.torture.seed", new Random().nextLong());
    private static final int KILLS = Integer.getInteger("ckpt.torture.kills", 100);
    private static final int VERIFY_EVERY = Integer.getInteger("ckpt.torture.verifyEvery", 10);
    private static final int SAMPLE = 3;
    private static final long CHECK_TIMEOUT_MS = 600_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> PHASES = List.of("mid-compaction", "mid-gc", "mid-prune", "mid-commit", "mid-upload",
            "mid-restore", "idle");

    private final TortureModel model = new TortureModel();
    private final List<String> failures = new ArrayList<>();
    private final Map<String, Integer> phases = new LinkedHashMap<>();
    private final Map<String, Integer> serverSaw = new LinkedHashMap<>();
    private int round;
    private String phase = "start";
    private int ackLostPresent;
    private int ackLostAbsent;
    private int prunedByCutOff;
    private int restored;
    private int verifies;
    private long packsCompacted;
    private long lastDamagedChunks;
    private int staleGuesses;
    /** WPARs already reported as left without a good checkpoint. */
    private final Set<String> lkgLost = new java.util.HashSet<>();

    @Test
    void committedCheckpointsSurviveAHundredKillsAtRandomMoments(@TempDir Path dir) throws Exception {
        System.out.printf("crash torture: seed %d (replay with -Dckpt.torture.seed=%d), %d kill points%n", SEED, SEED, KILLS);
        PHASES.forEach(p -> phases.put(p, 0));
        Random plan = new Random(SEED);
        long start = System.nanoTime();
        ServerProcess server = ServerProcess.on(dir.resolve("datastore")).args("--pack-size", "1").start();
        try {
            for (round = 1; round <= KILLS; round++) {
                TortureWorkers w = killedRound(server, plan);
                ServerProcess killed = server;
                server = server.restart();
                int before = failures.size();
                check(server, w, round % VERIFY_EVERY == 0, new SplittableRandom(plan.nextLong()));
                if (failures.size() > before) {
                    keepLogs(killed, server);
                }
            }
            phase = "end";
            finalCheck(server);
        } finally {
            server.close();
            System.out.println(report((System.nanoTime() - start) / 1e9));
        }
        assertEquals(List.of(), failures, failures.size() + " fault(s) with seed " + SEED
                + " (replay with -Dckpt.torture.seed=" + SEED + ")");
    }

    /** One round: clients start, the server is killed at a random moment, they end. */
    private TortureWorkers killedRound(ServerProcess server, Random plan) throws Exception {
        long roundSeed = plan.nextLong();
        boolean quiet = plan.nextInt(12) == 0;
        // A gc storm: gc back to back beside three uploaders of mostly fresh data, and no restore
        // (a running restore makes gc leave unknown pack files alone).
        boolean storm = !quiet && plan.nextInt(3) == 0;
        int uploaders = quiet ? 0 : storm ? 3 : 1 + plan.nextInt(3);
        boolean restorer = !quiet && !storm && plan.nextBoolean();
        boolean maintenance = !quiet && (storm || plan.nextInt(5) != 0);
        long delayMillis = quiet ? 50 + plan.nextInt(300) : 100 + plan.nextInt(1400);

        TortureWorkers w = new TortureWorkers(server.address(), model, round);
        for (int i = 0; i < uploaders; i++) {
            w.addUploader(i, roundSeed + 1000L * i, storm);
        }
        if (restorer) {
            w.addRestorer(roundSeed + 7);
        }
        if (maintenance) {
            w.addMaintenance(roundSeed + 13, storm);
        }
        w.start(30_000); // the kill's delay counts from when they are connected, not from their start-up
        Thread.sleep(delayMillis);
        List<String> doing = w.workers.stream().map(x -> x.doing).toList();
        if (!server.isAlive()) {
            fail("the server died by itself; its log tail:\n" + tail(server.log()));
        }
        String dump = server.threadDump(Duration.ofSeconds(5));
        server.kill9();
        w.stopping = true;
        phase = classify(dump, doing);
        phases.merge(phase, 1, Integer::sum);
        System.out.printf("round %d: %s%d uploader(s)%s%s, killed after %d ms: %s %s%n", round, storm ? "gc storm, " : "", uploaders,
                restorer ? ", restorer" : "", maintenance ? ", admin" : "", delayMillis, phase, doing);
        List<String> stuck = w.join(30_000);
        if (!stuck.isEmpty()) {
            fail("clients still running 30 s after the kill: " + stuck);
        }
        packsCompacted += w.packsCompacted.get();
        return w;
    }

    /** The kill point's phase: what the server's threads and the clients were doing, the rarest first. */
    private String classify(String dump, List<String> doing) {
        Map<String, Boolean> saw = new LinkedHashMap<>();
        saw.put("compaction", dump.contains("io.ckpt.gc.GarbageCollector.compact"));
        saw.put("gc", dump.contains("io.ckpt.gc.GarbageCollector."));
        saw.put("prune", dump.contains("io.ckpt.retention.Pruner."));
        saw.put("ingest", dump.contains("io.ckpt.ingest."));
        saw.put("restore", dump.contains("io.ckpt.restore."));
        saw.put("no dump", dump.isEmpty());
        saw.forEach((k, v) -> serverSaw.merge(k, v ? 1 : 0, Integer::sum));
        if (saw.get("compaction")) {
            return "mid-compaction";
        }
        if (saw.get("gc") || doing.contains("gc")) {
            return "mid-gc";
        }
        if (saw.get("prune") || doing.contains("prune")) {
            return "mid-prune";
        }
        if (doing.contains("commit")) {
            return "mid-commit";
        }
        if (saw.get("ingest") || doing.contains("upload")) {
            return "mid-upload";
        }
        if (saw.get("restore") || doing.contains("restore")) {
            return "mid-restore";
        }
        return "idle";
    }

    /**
     * Errors the server sent during the round, judged after the listing (which settles what a prune
     * cut off by the kill removed): a refused restore of a checkpoint a prune removed is no fault.
     */
    private void judgeFaults(TortureWorkers w) {
        for (TortureWorkers.Fault f : w.faults) {
            TortureModel.Entry e = f.entry();
            if (e != null && e.state == TortureModel.State.REMOVED
                    && (f.code() == ErrorCode.NOT_FOUND || f.what().startsWith("restore"))) {
                continue;
            }
            if (e != null && e.state == TortureModel.State.DAMAGED) {
                continue;
            }
            if (e != null && w.pruneSent && "delta".equals(e.mode) && f.code() == ErrorCode.REFUSED
                    && f.what().contains("was not sent in this upload and no complete checkpoint")) {
                // docs/PROTOCOL.md, "Delta mode": the client's first guess (the WPAR's newest checkpoint)
                // was pruned and collected during the upload; the server refuses, the agent's retry sends it.
                staleGuesses++;
                continue;
            }
            fail(f.what() + (f.code() != null ? " [" + f.code() + "]" : ""));
            if (e != null && e.state == TortureModel.State.COMMITTED) {
                model.set(e, TortureModel.State.DAMAGED);
            }
        }
    }

    /** After a restart: the listing against the model, a sample restored, and verify --full now and then. */
    private void check(ServerProcess server, TortureWorkers w, boolean verify, SplittableRandom rnd) throws IOException {
        try (CkptClient c = CkptClient.connect(server.address(), "torture-check")) {
            List<TortureModel.Entry> mustRestore = checkListing(c);
            judgeFaults(w);
            List<TortureModel.Entry> committed = model.in(TortureModel.State.COMMITTED);
            for (int i = 0; i < SAMPLE && !committed.isEmpty(); i++) {
                mustRestore.add(committed.get(rnd.nextInt(committed.size())));
            }
            for (TortureModel.Entry e : mustRestore) {
                checkRestore(c, e);
            }
            if (verify) {
                verifyFull(c);
            }
        }
    }

    private List<TortureModel.Entry> checkListing(CkptClient c) throws IOException {
        JsonNode list = c.request(JSON.createObjectNode().put("op", "list").put("all", true), CHECK_TIMEOUT_MS);
        Map<String, JsonNode> listed = new HashMap<>();
        Set<String> goodListed = new java.util.HashSet<>();
        for (JsonNode cp : list.path("checkpoints")) {
            String label = null;
            for (JsonNode l : cp.path("labels")) {
                if (model.get(l.asText()) != null) {
                    label = l.asText();
                }
            }
            if (label == null) {
                fail("checkpoint " + cp.path("id") + " of WPAR " + cp.path("wpar").asText() + " is listed, but the test never"
                        + " began an upload of it: " + cp);
                continue;
            }
            if (!"complete".equals(cp.path("state").asText())) {
                fail("checkpoint " + cp.path("id") + " (" + model.get(label) + ") is listed as " + cp.path("state")
                        + " after a restart with no upload running");
            }
            listed.put(label, cp);
            if ("good".equals(cp.path("health").asText())) {
                goodListed.add(cp.path("wpar").asText());
            }
        }
        TortureModel.PendingPrune cutOff = model.takePendingPrune();
        List<TortureModel.Entry> mustRestore = new ArrayList<>();
        for (TortureModel.Entry e : model.all()) {
            JsonNode cp = listed.get(e.label);
            switch (e.state) {
                case COMMITTED -> {
                    if (cp == null && cutOff != null && cutOff.wpar().equals(e.wpar) && !cutOff.protectedLabels().contains(e.label)) {
                        model.set(e, TortureModel.State.REMOVED);
                        prunedByCutOff++;
                    } else if (cp == null) {
                        fail("acknowledged " + e + (e.isProtected ? ", protected," : "") + " is not listed after the restart");
                        model.set(e, TortureModel.State.DAMAGED);
                    } else if (cp.path("id").asLong() != e.id) {
                        fail(e + " is listed with id " + cp.path("id") + ": " + cp);
                    }
                }
                case COMMITTING -> {
                    if (cp == null) {
                        model.set(e, TortureModel.State.GONE);
                        ackLostAbsent++;
                    } else {
                        model.committed(e, cp.path("id").asLong());
                        ackLostPresent++;
                        mustRestore.add(e);
                    }
                }
                case SENDING, GONE, REMOVED -> {
                    if (cp != null) {
                        fail(e + " is listed after the restart (" + cp + "), but "
                                + (e.state == TortureModel.State.REMOVED ? "an acknowledged prune removed it"
                                        : "its data was never all sent or the server refused it"));
                        model.set(e, TortureModel.State.DAMAGED);
                    } else if (e.state == TortureModel.State.SENDING) {
                        model.set(e, TortureModel.State.GONE);
                    }
                }
                case DAMAGED -> { }
            }
            if (e.protectPending) {
                model.protectSettled(e, cp != null && cp.path("protected").asBoolean());
            }
        }
        for (String wpar : model.goodWpars()) {
            if (!goodListed.contains(wpar) && lkgLost.add(wpar)) {
                fail("WPAR " + wpar + " had a good checkpoint acknowledged and has none listed now: its last known good was removed");
            }
        }
        return mustRestore;
    }

    private void checkRestore(CkptClient c, TortureModel.Entry e) throws IOException {
        if (e.state != TortureModel.State.COMMITTED) {
            return;
        }
        String got;
        try {
            got = Sha256.ofRestore(c, e.id);
        } catch (io.ckpt.agent.net.ClientException x) {
            if (x.isUnreachable()) {
                throw x;
            }
            fail("restore of " + e + " after the restart: " + x.getMessage());
            model.set(e, TortureModel.State.DAMAGED);
            return;
        }
        restored++;
        if (!got.equals(e.sha256)) {
            fail("restore of " + e + " after the restart: SHA-256 " + got + " != sent " + e.sha256);
            model.set(e, TortureModel.State.DAMAGED);
        }
    }

    /** verify --full; damage is reported once per checkpoint (later runs see the same damage again). */
    private void verifyFull(CkptClient c) throws IOException {
        verifies++;
        JsonNode v = c.request(JSON.createObjectNode().put("op", "verify").put("full", true), CHECK_TIMEOUT_MS);
        if (v.path("ok").asBoolean()) {
            return;
        }
        List<String> fresh = new ArrayList<>();
        Map<Long, TortureModel.Entry> byId = new HashMap<>();
        model.all().forEach(e -> byId.put(e.id, e));
        for (JsonNode d : v.path("damaged_checkpoints")) {
            TortureModel.Entry e = byId.get(d.path("id").asLong());
            if (e == null || e.state != TortureModel.State.DAMAGED) {
                fresh.add((e != null ? e.toString() : "checkpoint " + d.path("id")) + ": " + d.path("parts"));
                if (e != null) {
                    model.set(e, TortureModel.State.DAMAGED);
                }
            }
        }
        long damagedChunks = v.path("damaged_chunks").asLong();
        if (!fresh.isEmpty() || damagedChunks != lastDamagedChunks) {
            lastDamagedChunks = damagedChunks;
            JsonNode problems = v.path("chunk_problems");
            fail("verify --full: " + v.path("damaged_chunks") + " damaged chunk(s), e.g. "
                    + (problems.size() > 0 ? problems.get(0) : "none named") + "; newly damaged: " + fresh);
        }
    }

    /** At the end: every checkpoint restored, verify --full, gc, verify --full again. */
    private void finalCheck(ServerProcess server) throws IOException {
        try (CkptClient c = CkptClient.connect(server.address(), "torture-check")) {
            checkListing(c).clear();
            for (TortureModel.Entry e : model.in(TortureModel.State.COMMITTED)) {
                checkRestore(c, e);
            }
            verifyFull(c);
            JsonNode gc = c.request(JSON.createObjectNode().put("op", "gc").put("dry_run", false), CHECK_TIMEOUT_MS);
            packsCompacted += gc.path("packs_compacted").asLong();
            verifyFull(c);
            for (TortureModel.Entry e : model.in(TortureModel.State.COMMITTED)) {
                checkRestore(c, e);
            }
        }
    }

    private void fail(String what) {
        String f = "seed " + SEED + " round " + round + " (killed " + phase + "): " + what;
        System.out.println("FAULT " + f);
        if (failures.size() < 50) {
            failures.add(f);
        }
    }

    private String report(double seconds) {
        StringBuilder b = new StringBuilder(String.format(java.util.Locale.ROOT,
                "crash torture report: seed %d, %d kill points in %.0f s%n  kill points by phase:", SEED,
                phases.values().stream().mapToInt(Integer::intValue).sum(), seconds));
        phases.forEach((p, n) -> b.append(' ').append(p).append(' ').append(n).append(','));
        b.setLength(b.length() - 1);
        b.append("\n  server threads at the kill (thread dumps):");
        serverSaw.forEach((p, n) -> b.append(' ').append(p).append(' ').append(n).append(','));
        b.setLength(b.length() - 1);
        b.append(String.format(java.util.Locale.ROOT, "%n  checkpoints: %d uploads begun, %d committed and kept, %d removed by"
                        + " prune (%d by prunes cut off by a kill); commits cut off by a kill: %d present, %d absent after"
                        + " the restart%n  checks: %d restores bit for bit, %d verify --full, gc compacted %d packs%n"
                        + "  delta uploads refused because a prune removed their first guess (documented): %d%n"
                        + "  faults: %d",
                model.all().size(), model.count(TortureModel.State.COMMITTED), model.count(TortureModel.State.REMOVED),
                prunedByCutOff, ackLostPresent, ackLostAbsent, restored, verifies, packsCompacted, staleGuesses, failures.size()));
        failures.forEach(f -> b.append("\n    ").append(f));
        return b.toString();
    }

    /** The logs of the killed server and of its successor, for a round with a fault: target/crash-torture/. */
    private void keepLogs(ServerProcess killed, ServerProcess restarted) throws IOException {
        Path dir = java.nio.file.Files.createDirectories(Path.of("target", "crash-torture"));
        Path file = dir.resolve("seed-" + SEED + "-round-" + round + ".log");
        java.nio.file.Files.writeString(file, killed.log() + "\n---- restarted ----\n" + restarted.log());
        System.out.println("server logs of round " + round + ": " + file.toAbsolutePath());
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 8000));
    }
}
