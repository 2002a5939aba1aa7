package io.ckpt.it.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.RawConnection;
import io.ckpt.it.Sha256;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the server while {@code ckpt prune} runs: after a restart every checkpoint the catalog
 * lists restores bit for bit, verify --full passes, manifests/ holds exactly one manifest per
 * listed checkpoint, a new prune finishes the work and the protected and last known good
 * checkpoints survive it; and all of that still holds after gc.
 *
 * <p>How a kill lands mid-prune: Pruner commits one WPAR's deletions in one transaction, then
 * deletes that WPAR's manifests, then goes on to the next WPAR. Each round pushes new checkpoints,
 * starts the prune, watches the manifests of the checkpoints the policy removes and kills the
 * server the moment the first of the first, second or third WPAR to be pruned is gone. Where the
 * kill really landed is read afterwards, not assumed: from the manifests left on disk at the kill
 * and the rows the catalog lists after the restart. A WPAR whose rows are gone while some of their
 * manifests were still on disk was cut off between its commit and the end of its manifest
 * deletions; WPARs in different states were cut off between two WPARs. Each round prints it, and
 * the test fails if no round was cut off mid-prune.
 */
@Tag("slow") // kill -9 rounds: run by .ci/run after the default suite
class PruneCrashTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> WPARS = List.of("app01", "app02", "db01");
    /**
     * Checkpoints pushed per WPAR per round. What matters is the count: each WPAR's manifest
     * deletions must last long enough for the test to see them begin and kill the server before
     * they end. With 50 (about 45 removed per WPAR) the kills land with most of them still to go.
     */
    private static final int PER_ROUND = 50;
    private static final int KEEP_LAST = 3;
    private static final Instant FIRST = Instant.parse("2026-01-05T00:00:00Z");

    /** Where to kill, given how many of each WPAR's removed checkpoints have lost their manifest (gone, of). */
    private record KillPoint(String name, Predicate<Map<String, int[]>> reached) {}

    private static final List<KillPoint> KILL_POINTS = List.of(
            new KillPoint("first manifest of the first WPAR deleted", gone -> begun(gone) >= 1),
            new KillPoint("first manifest of the second WPAR deleted", gone -> begun(gone) >= 2),
            new KillPoint("first manifest of the third WPAR deleted", gone -> begun(gone) >= 3));

    private final Map<Long, String> sha256 = new HashMap<>();
    private final Map<String, List<Long>> live = new LinkedHashMap<>();
    private final Set<Long> protectedIds = new HashSet<>();
    private final Map<String, Long> lastKnownGood = new HashMap<>();
    private int pushed;

    @Test
    void killDuringPruneLeavesEveryListedCheckpointWholeAndTheNextPruneFinishes(@TempDir Path dir) throws Exception {
        WPARS.forEach(w -> live.put(w, new ArrayList<>()));
        ServerProcess server = ServerProcess.start(dir.resolve("datastore"));
        int midPrune = 0;
        try {
            for (KillPoint point : KILL_POINTS) {
                pushRound(server);
                Map<String, List<Long>> survivors = new LinkedHashMap<>();
                Map<String, List<Long>> removed = new LinkedHashMap<>();
                for (String w : WPARS) {
                    survivors.put(w, survivorsOf(w));
                    removed.put(w, live.get(w).stream().filter(id -> !survivors.get(w).contains(id)).toList());
                }

                Cli.Running prune = Cli.against(server).command("prune", "--keep-last", Integer.toString(KEEP_LAST), "--json").start();
                boolean reached = awaitKillPoint(server, removed, point, prune);
                server.kill9();
                Set<Long> manifestsAtKill = manifestIds(server.datastore());
                Cli.Result cut = prune.await(Duration.ofSeconds(60));

                server = server.restart();
                Cli ckpt = Cli.against(server);
                Map<String, List<Long>> listed = byWpar(ckpt.run("list", "--json").assertOk().json());
                Landing landing = landing(point, reached, cut, removed, listed, manifestsAtKill);
                String where = landing.description();
                System.out.println("prune killed at '" + point.name() + "': " + where);
                if (landing.midPrune()) {
                    midPrune++;
                }
                for (String w : WPARS) {
                    List<Long> l = listed.getOrDefault(w, List.of());
                    assertTrue(l.equals(live.get(w)) || l.equals(survivors.get(w)),
                            () -> w + " after kill -9 (" + where + "): a WPAR's removals commit together, so it lists all of "
                                    + live.get(w) + " or exactly " + survivors.get(w) + ", not " + l);
                    for (long id : l) {
                        assertTrue(manifestsAtKill.contains(id), () -> "checkpoint " + id + " (WPAR " + w
                                + ") is listed, but its manifest was already gone when the server was killed (" + where + ")");
                    }
                }
                assertConsistent(server, ckpt, listed, "after kill -9 at '" + point.name() + "' (" + where + ")");

                // What `ckpt prune --keep-last 3` sends, without the start-up of one more client JVM.
                request(server, "{\"op\": \"prune\", \"policy\": {\"keep-last\": " + KEEP_LAST + "}}");
                Map<String, List<Long>> after = byWpar(request(server, "{\"op\": \"list\", \"all\": true}"));
                assertEquals(survivors, after, "the prune run again after the restart finishes the work");
                for (String w : WPARS) {
                    assertTrue(after.get(w).contains(lastKnownGood.get(w)), w + " keeps its last known good");
                    protectedIds.stream().filter(live.get(w)::contains)
                            .forEach(id -> assertTrue(after.get(w).contains(id), w + " keeps protected checkpoint " + id));
                    live.put(w, new ArrayList<>(after.get(w)));
                }
                assertEquals(listedIds(after), manifestIds(server.datastore()), "one manifest per checkpoint after the second prune");
            }

            Cli ckpt = Cli.against(server);
            JsonNode gc = ckpt.run("gc", "--json").assertOk().json();
            assertTrue(gc.path("chunks_removed").asLong() > 0, () -> "gc reclaims the pruned checkpoints' own chunks: " + gc);
            assertConsistent(server, ckpt, byWpar(ckpt.run("list", "--json").assertOk().json()), "after gc");
            assertEquals(0, request(server, "{\"op\": \"gc\", \"dry_run\": true}").path("chunks_removed").asLong(),
                    "nothing left for a second gc");
        } finally {
            server.close();
        }
        assertTrue(midPrune > 0, "no kill landed mid-prune (see the lines above): the test proved nothing about a prune cut off");
    }

    /**
     * What must hold whenever the server is up: (a) every listed checkpoint restores to what was
     * pushed, (b) verify --full passes, (c) manifests/ holds exactly the listed checkpoints'
     * manifests, and no upload is left half-done.
     */
    private void assertConsistent(ServerProcess server, Cli ckpt, Map<String, List<Long>> listed, String when) throws Exception {
        assertEquals(listed, byWpar(request(server, "{\"op\": \"list\", \"all\": true}")), "nothing but complete checkpoints " + when);
        List<Callable<Void>> perWpar = new ArrayList<>();
        for (List<Long> ids : listed.values()) {
            perWpar.add(() -> {
                try (RawConnection raw = RawConnection.open(server.port())) {
                    for (long id : ids) {
                        assertEquals(sha256.get(id), restoreSha256(raw, id), "checkpoint " + id + " restores bit for bit " + when);
                    }
                }
                return null;
            });
        }
        inParallel(perWpar);
        JsonNode verify = ckpt.run("verify", "--full", "--json").assertOk().json();
        assertTrue(verify.path("ok").asBoolean(), () -> "verify --full " + when + ": " + verify);
        Set<Long> manifests = manifestIds(server.datastore());
        Set<Long> rows = listedIds(listed);
        assertEquals(rows, manifests, () -> "manifests/ " + when + ": without a row " + minus(manifests, rows)
                + ", rows without a manifest " + minus(rows, manifests) + "\nserver log:\n" + server.log());
    }

    /**
     * Pushes {@link #PER_ROUND} checkpoints per WPAR, an hour apart, each a slightly changed copy of
     * its WPAR's base image (so that kept and removed checkpoints share most chunks and gc must tell
     * them apart). In each WPAR one old one is healthy (so it becomes the last known good and only
     * that keeps it) and another is protected. One connection per WPAR, side by side: commits wait
     * on fsyncs, and this way they overlap.
     */
    private void pushRound(ServerProcess server) throws Exception {
        List<Callable<List<Pushed>>> perWpar = new ArrayList<>();
        for (int w = 0; w < WPARS.size(); w++) {
            int wpar = w;
            perWpar.add(() -> pushWpar(server, wpar));
        }
        for (List<Pushed> done : inParallel(perWpar)) {
            for (Pushed p : done) {
                sha256.put(p.id(), p.sha256());
                live.get(p.wpar()).add(p.id());
                if (p.good()) {
                    lastKnownGood.put(p.wpar(), p.id());
                }
                if (p.isProtected()) {
                    protectedIds.add(p.id());
                }
            }
        }
        pushed += PER_ROUND;
    }

    private record Pushed(long id, String wpar, String sha256, boolean good, boolean isProtected) {}

    private List<Pushed> pushWpar(ServerProcess server, int w) throws IOException {
        String wpar = WPARS.get(w);
        List<Pushed> out = new ArrayList<>();
        try (RawConnection raw = RawConnection.open(server.port())) {
            for (int i = 0; i < PER_ROUND; i++) {
                long takenAt = FIRST.plus(Duration.ofHours(pushed + i)).toEpochMilli();
                MemoryImage image = MemoryImage.of(1_000 + w, 16).mutate(0.125, ((long) w << 32) + pushed + i);
                boolean good = i == PER_ROUND / 2;
                long id = push(raw, wpar, takenAt, good ? "good" : "unknown", image);
                boolean isProtected = i == PER_ROUND / 4;
                if (isProtected) {
                    raw.send(new Frame.Request("{\"op\": \"protect\", \"id\": " + id + "}"));
                    assertInstanceOf(Frame.Response.class, raw.receive(Duration.ofSeconds(30)), "protect " + id);
                }
                out.add(new Pushed(id, wpar, image.sha256(), good, isProtected));
            }
        }
        return out;
    }

    /** What keep-last plus the protections must leave of a WPAR, oldest first as list shows it. */
    private List<Long> survivorsOf(String wpar) {
        List<Long> ids = live.get(wpar);
        Set<Long> keep = new HashSet<>(ids.subList(ids.size() - KEEP_LAST, ids.size()));
        keep.add(lastKnownGood.get(wpar));
        ids.stream().filter(protectedIds::contains).forEach(keep::add);
        return ids.stream().filter(keep::contains).toList();
    }

    /**
     * Polls the removed checkpoints' manifests until {@code point} is reached; false when the
     * prune ended first (then the kill lands after it).
     */
    private static boolean awaitKillPoint(ServerProcess server, Map<String, List<Long>> removed, KillPoint point,
            Cli.Running prune) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Map<String, int[]> gone = new LinkedHashMap<>();
        while (true) {
            for (var e : removed.entrySet()) {
                int n = 0;
                for (long id : e.getValue()) {
                    if (!Files.exists(manifestPath(server.datastore(), id))) {
                        n++;
                    }
                }
                gone.put(e.getKey(), new int[] {n, e.getValue().size()});
            }
            if (point.reached().test(gone)) {
                return true;
            }
            if (!prune.isAlive()) {
                return false;
            }
            if (System.nanoTime() > deadline) {
                fail("the prune did not reach '" + point.name() + "' in 60 s; server log:\n" + server.log());
            }
            Thread.onSpinWait();
        }
    }

    /** How many WPARs the prune has begun to delete manifests of. */
    private static long begun(Map<String, int[]> gone) {
        return gone.values().stream().filter(g -> g[0] > 0).count();
    }

    /** Where a kill landed: mid-prune when the prune had changed something and not finished. */
    private record Landing(boolean midPrune, String description) {}

    /** Where the kill landed, from what was on disk at the kill and what the catalog lists after the restart. */
    private Landing landing(KillPoint point, boolean reached, Cli.Result cut, Map<String, List<Long>> removed,
            Map<String, List<Long>> listed, Set<Long> manifestsAtKill) {
        List<String> states = new ArrayList<>();
        int untouched = 0;
        int finished = 0;
        for (String w : WPARS) {
            List<Long> r = removed.get(w);
            boolean rowsGone = r.stream().noneMatch(listed.getOrDefault(w, List.of())::contains);
            long manifestsLeft = r.stream().filter(manifestsAtKill::contains).count();
            if (!rowsGone) {
                untouched++;
                states.add(w + " not pruned yet");
            } else if (manifestsLeft > 0) {
                states.add(w + " rows deleted, " + manifestsLeft + " of its " + r.size() + " manifests not yet");
            } else {
                finished++;
                states.add(w + " pruned");
            }
        }
        boolean midPrune = untouched < WPARS.size() && finished < WPARS.size();
        String where = untouched == WPARS.size() ? "before the first commit" : midPrune ? "mid-prune" : "after the prune";
        return new Landing(midPrune, where + ": " + String.join("; ", states)
                + (reached ? "" : " (the prune ended before '" + point.name() + "')") + "; the client exited " + cut.exitCode());
    }

    private static long push(RawConnection raw, String wpar, long takenAt, String health, MemoryImage image) throws IOException {
        raw.send(new Frame.UploadBegin(wpar, takenAt, "manual", Frame.UploadBegin.MODE_STREAM, List.of(), "", health, ""));
        long id = assertInstanceOf(Frame.UploadStarted.class, raw.receive(Duration.ofSeconds(30))).checkpointId();
        raw.send(new Frame.PartBegin(new PartInfo("image.bin", PartType.STREAM, 0600, takenAt, "")));
        byte[] bytes;
        try (InputStream in = image.open()) {
            bytes = in.readAllBytes();
        }
        raw.sendData(bytes);
        raw.send(new Frame.PartEnd(bytes.length, Sha256.digest().digest(bytes)));
        raw.send(new Frame.UploadCommit());
        Frame answer = raw.receive(Duration.ofSeconds(30));
        assertInstanceOf(Frame.UploadCommitted.class, answer, () -> "commit of " + wpar + " checkpoint " + id + ": " + answer);
        return id;
    }

    /** Restores {@code id} over the protocol and returns the SHA-256 of its one part's bytes. */
    private static String restoreSha256(RawConnection raw, long id) throws IOException {
        raw.send(new Frame.RestoreRequest(id));
        Sha256.Sink sink = new Sha256.Sink();
        while (true) {
            Frame f = raw.receive(Duration.ofSeconds(30));
            if (f instanceof Frame.Data d) {
                try {
                    byte[] b = new byte[d.bytes().readableBytes()];
                    d.bytes().readBytes(b);
                    sink.write(b, 0, b.length);
                } finally {
                    d.release();
                }
            } else if (f instanceof Frame.RestoreEnd) {
                return sink.hex();
            } else if (f == null || f instanceof Frame.Error) {
                fail("restore of checkpoint " + id + ": " + f);
            }
        }
    }

    /** Runs the tasks on threads of their own and returns their results; the first failure is rethrown. */
    private static <T> List<T> inParallel(List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            List<T> out = new ArrayList<>();
            for (Future<T> f : pool.invokeAll(tasks)) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw (Exception) e.getCause();
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static JsonNode request(ServerProcess server, String json) throws IOException {
        try (RawConnection raw = RawConnection.open(server.port())) {
            raw.send(new Frame.Request(json));
            Frame f = raw.receive(Duration.ofSeconds(60));
            return JSON.readTree(assertInstanceOf(Frame.Response.class, f, () -> json + " answered " + f).json());
        }
    }

    /** A list answer's ids per WPAR, oldest first. */
    private static Map<String, List<Long>> byWpar(JsonNode list) {
        Map<String, List<Long>> out = new LinkedHashMap<>();
        for (String w : WPARS) {
            out.put(w, new ArrayList<>());
        }
        list.path("checkpoints").forEach(c -> out.computeIfAbsent(c.path("wpar").asText(), k -> new ArrayList<>())
                .add(c.path("id").asLong()));
        return out;
    }

    private static Set<Long> listedIds(Map<String, List<Long>> byWpar) {
        Set<Long> ids = new TreeSet<>();
        byWpar.values().forEach(ids::addAll);
        return ids;
    }

    private static Path manifestPath(Path datastore, long id) {
        return datastore.resolve("manifests").resolve(String.format("%016x.manifest", id));
    }

    /** The checkpoint ids of the files in manifests/; a file of any other name fails the test. */
    private static Set<Long> manifestIds(Path datastore) throws IOException {
        Set<Long> ids = new TreeSet<>();
        try (Stream<Path> files = Files.list(datastore.resolve("manifests"))) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                assertTrue(name.matches("[0-9a-f]{16}\\.manifest"), () -> "unexpected file in manifests/: " + name);
                ids.add(Long.parseLong(name.substring(0, 16), 16));
            }
        }
        return ids;
    }

    private static Set<Long> minus(Set<Long> a, Set<Long> b) {
        Set<Long> out = new TreeSet<>(a);
        out.removeAll(b);
        return out;
    }
}
