package io.ckpt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * What the agent remembers per WPAR: when it last ran (kept on disk, so a restart neither
 * repeats nor skips a checkpoint), its last result and its recent failures (for status).
 */
final class AgentState {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECENT_FAILURES = 10;

    private final Path file;
    private final Map<String, Instant> lastRuns = new HashMap<>();
    private final Map<String, RunRecord> last = new HashMap<>();
    private final Map<String, Deque<RunRecord>> failures = new HashMap<>();
    private final Map<String, Deque<io.ckpt.agent.spool.Spool.Dropped>> drops = new HashMap<>();
    private final Map<String, Integer> droppedTotal = new HashMap<>();

    AgentState(Path file) throws IOException {
        this.file = file;
        if (Files.isRegularFile(file)) {
            JsonNode n = JSON.readTree(file.toFile());
            n.path("last_runs").fields().forEachRemaining(e -> lastRuns.put(e.getKey(), Instant.parse(e.getValue().asText())));
        }
    }

    synchronized Map<String, Instant> lastRuns() {
        return Map.copyOf(lastRuns);
    }

    synchronized void ran(String wpar, Instant at) throws IOException {
        lastRuns.put(wpar, at);
        ObjectNode root = JSON.createObjectNode();
        ObjectNode runs = root.putObject("last_runs");
        lastRuns.forEach((w, t) -> runs.put(w, t.toString()));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    synchronized void record(RunRecord r) {
        // 'last' is the newest checkpoint's outcome: the upload of an older spooled one does not replace it.
        // Compared in milliseconds: a run is recorded as spooled at the clock's precision and its upload at
        // the spool entry's milliseconds; the same checkpoint's later record (its upload) replaces the earlier.
        last.merge(r.wpar(), r, (old, nu) -> millis(nu.startedAt()).isBefore(millis(old.startedAt())) ? old : nu);
        if (RunRecord.FAILED.equals(r.result())) {
            Deque<RunRecord> d = failures.computeIfAbsent(r.wpar(), k -> new ArrayDeque<>());
            d.addFirst(r);
            while (d.size() > RECENT_FAILURES) {
                d.removeLast();
            }
        }
    }

    /** A spooled checkpoint the spool limits dropped before it reached the server (ckpt status shows the recent ones). */
    synchronized void dropped(io.ckpt.agent.spool.Spool.Dropped d) {
        Deque<io.ckpt.agent.spool.Spool.Dropped> q = drops.computeIfAbsent(d.wpar(), k -> new ArrayDeque<>());
        q.addFirst(d);
        while (q.size() > RECENT_FAILURES) {
            q.removeLast();
        }
        droppedTotal.merge(d.wpar(), 1, Integer::sum);
    }

    private static Instant millis(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS);
    }

    synchronized ObjectNode json(String wpar) {
        ObjectNode o = JSON.createObjectNode();
        RunRecord r = last.get(wpar);
        if (r != null) {
            o.set("last", json(r));
        }
        ArrayNode f = o.putArray("recent_failures");
        failures.getOrDefault(wpar, new ArrayDeque<>()).forEach(x -> f.add(json(x)));
        o.put("dropped_total", droppedTotal.getOrDefault(wpar, 0));
        ArrayNode dr = o.putArray("recent_drops");
        for (io.ckpt.agent.spool.Spool.Dropped d : drops.getOrDefault(wpar, new ArrayDeque<>())) {
            dr.addObject().put("taken_at", java.time.Instant.ofEpochMilli(d.takenAtMillis()).toString()).put("kind", d.kind())
                    .put("health", d.health()).put("protected", d.protectedEntry()).put("reason", d.reason());
        }
        return o;
    }

    private static ObjectNode json(RunRecord r) {
        ObjectNode o = JSON.createObjectNode()
                .put("started_at", r.startedAt().toString())
                .put("duration_ms", r.durationMillis())
                .put("result", r.result())
                .put("health", r.health());
        if (r.checkpointId() > 0) {
            o.put("checkpoint_id", r.checkpointId());
            o.put("bytes_sent", r.bytes());
        }
        if (r.error() != null && !r.error().isEmpty()) {
            o.put("error", r.error());
        }
        return o;
    }
}
