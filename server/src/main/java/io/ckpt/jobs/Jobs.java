package io.ckpt.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The prune, gc and verify runs of this server, scheduled or asked for: those running and the
 * last {@value #KEPT} that ended, each with its start, end and result. In memory only: a
 * restart starts with none. Dry runs are not jobs: they change nothing and the status page asks
 * for one at every refresh.
 */
public final class Jobs {
    static final int KEPT = 50;

    /** What started a job. */
    public enum Trigger { SCHEDULE, REQUEST }

    /**
     * One run: {@code ended} is null while it runs; then {@code ok} says whether it ran to its end
     * (a verify that found damage ran to its end: its {@code result} says what it found), and
     * {@code result} is its JSON answer or {@code {"error": ...}}.
     */
    public record Job(long id, String kind, String detail, Trigger trigger, Instant started, Instant ended, boolean ok,
            JsonNode result) {
        public double seconds() {
            return ended == null ? 0 : (ended.toEpochMilli() - started.toEpochMilli()) / 1000.0;
        }
    }

    /** A job's work; its JSON answer becomes the job's result. */
    @FunctionalInterface
    public interface Work<T extends JsonNode> {
        T run() throws IOException;
    }

    private final Clock clock;
    private final Consumer<Job> onEnd;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Job> running = new LinkedHashMap<>();
    private final Deque<Job> ended = new ArrayDeque<>();

    public Jobs() {
        this(Clock.systemUTC(), j -> { });
    }

    /** @param onEnd told of every job that ended, on the job's thread (the metrics) */
    public Jobs(Clock clock, Consumer<Job> onEnd) {
        this.clock = clock;
        this.onEnd = onEnd;
    }

    /** Runs {@code work} as a job of {@code kind} ("prune", "gc", "verify"), recording it; rethrows its failure. */
    public <T extends JsonNode> T run(String kind, String detail, Trigger trigger, Work<T> work) throws IOException {
        Job job = new Job(ids.incrementAndGet(), kind, detail, trigger, clock.instant(), null, false, null);
        synchronized (this) {
            running.put(job.id(), job);
        }
        T result = null;
        Throwable failure = null;
        try {
            result = work.run();
            return result;
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            JsonNode r = result != null ? result
                    : JsonNodeFactory.instance.objectNode().put("error", String.valueOf(
                            failure == null ? "stopped" : failure.getMessage() == null ? failure.toString() : failure.getMessage()));
            Job done = new Job(job.id(), kind, detail, trigger, job.started(), clock.instant(), result != null, r);
            synchronized (this) {
                running.remove(job.id());
                ended.addFirst(done);
                while (ended.size() > KEPT) {
                    ended.removeLast();
                }
            }
            onEnd.accept(done);
        }
    }

    /** Running jobs (oldest first), then ended ones (newest first). */
    public synchronized List<Job> list() {
        List<Job> out = new ArrayList<>(running.values());
        out.addAll(ended);
        return out;
    }

    /** {@code {"jobs": [{"id", "kind", "detail", "trigger", "state", "started", "ended", "seconds", "result"}]}}. */
    public ObjectNode json() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        var arr = root.putArray("jobs");
        for (Job j : list()) {
            ObjectNode o = arr.addObject().put("id", j.id()).put("kind", j.kind()).put("detail", j.detail())
                    .put("trigger", j.trigger().name().toLowerCase(Locale.ROOT))
                    .put("state", j.ended() == null ? "running" : j.ok() ? "done" : "failed")
                    .put("started", j.started().toString());
            if (j.ended() != null) {
                o.put("ended", j.ended().toString()).put("seconds", j.seconds());
                o.set("result", j.result());
            }
        }
        return root;
    }
}
