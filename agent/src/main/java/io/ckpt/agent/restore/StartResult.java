package io.ckpt.agent.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link RestoreAndStart} run did: every attempt, oldest first, each with its steps and
 * their durations, and the ownership it held. The WPAR runs from the last attempt's checkpoint if
 * {@link #started()}.
 *
 * @param wpar the WPAR
 * @param target the directory restored into; the restart command's {@code {statedir}} is {@code target/state}
 * @param attempts the attempts, in order; never empty
 * @param owner the ownership claimed or confirmed, if that step was reached
 * @param end why no further attempt was made, when the last one did not start the WPAR ({@code ""} otherwise)
 */
public record StartResult(String wpar, Path target, List<Attempt> attempts, Optional<Owner> owner, String end) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public StartResult {
        attempts = List.copyOf(attempts);
        if (attempts.isEmpty()) {
            throw new IllegalArgumentException("a result has at least one attempt");
        }
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(end, "end");
    }

    /** Whether the WPAR came up from the last attempt's checkpoint: healthy, or not checked for lack of a health check. */
    public boolean started() {
        return last().outcome().state() == State.STARTED;
    }

    /**
     * What this host knows of the WPAR after the run (issue 20, defect 1): it runs, nothing of it
     * runs, or it may run (a restart killed by its timeout, an unhealthy start whose stop failed,
     * a run interrupted after the restart). Only {@link State#NOT_STARTED} lets a mover start it
     * elsewhere.
     */
    public State state() {
        return last().outcome().state();
    }

    /** What a start leaves running on this host; the task result's {@code state}. */
    public enum State {
        STARTED("started"), NOT_STARTED("not_started"), UNKNOWN("unknown");

        private final String text;

        State(String text) {
            this.text = text;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    public Attempt last() {
        return attempts.get(attempts.size() - 1);
    }

    /** How an attempt ended, and what it leaves running. */
    public enum Outcome {
        /** Restarted and the health check passed. */
        HEALTHY("healthy", State.STARTED),
        /** Restarted; the WPAR has no health check, so its health is unknown. */
        STARTED_UNCHECKED("started", State.STARTED),
        /** Restarted, but the health check failed: the checkpoint was marked bad and the WPAR stopped. */
        UNHEALTHY("unhealthy", State.NOT_STARTED),
        /** Restarted, the health check failed, and the stop failed or there is none: it may still run. */
        UNHEALTHY_NOT_STOPPED("unhealthy-not-stopped", State.UNKNOWN),
        /** The restart command ran and exited non-zero (not marked bad: the cause may be this host's). */
        RESTART_FAILED("restart-failed", State.NOT_STARTED),
        /** The restart command was killed by its timeout, or could not be waited for: what it started is not known. */
        RESTART_UNKNOWN("restart-unknown", State.UNKNOWN),
        /** Interrupted (the agent stopping) after the restart, before the health was known: nothing marked, nothing stopped. */
        INTERRUPTED("interrupted", State.UNKNOWN),
        /** The checkpoint could not be restored (damaged, or holds no state directory). */
        RESTORE_FAILED("restore-failed", State.NOT_STARTED);

        private final String text;
        private final State state;

        Outcome(String text, State state) {
            this.text = text;
            this.state = state;
        }

        public boolean started() {
            return state == State.STARTED;
        }

        public State state() {
            return state;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** The checkpoint an attempt restored, as the server's {@code select} described it. */
    public record Checkpoint(long id, Instant takenAt, String health, JsonNode json) {
        static Checkpoint of(JsonNode cp) {
            return new Checkpoint(cp.path("id").asLong(), Instant.parse(cp.path("taken_at").asText()),
                    cp.path("health").asText(), cp);
        }
    }

    /**
     * One step of an attempt: {@code restore}, {@code claim} or {@code confirm}, {@code restart},
     * {@code health}, {@code mark-bad}, {@code stop}.
     *
     * @param summary one line for people
     * @param fields the step's facts for JSON ({@code owner}, {@code epoch}, {@code health}, {@code reason}, ...)
     */
    public record Step(String name, Duration duration, boolean ok, String summary, ObjectNode fields) {}

    /**
     * One checkpoint tried.
     *
     * @param error why it did not start the WPAR ({@code ""} when it did)
     */
    public record Attempt(int number, Checkpoint checkpoint, List<Step> steps, Outcome outcome, String error) {
        public Attempt {
            steps = List.copyOf(steps);
        }
    }

    /** The server's answer to {@code claim} (or {@code confirm}): who owns the WPAR now, at which epoch. */
    public record Owner(String wpar, String host, long epoch, String previousOwner, boolean changed) {}

    /** {@code time} as ISO-8601 with the offset {@code zone} has then: {@code 2026-11-26T09:06:14.062+01:00}. */
    public static String local(Instant time, ZoneId zone) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(time.atZone(zone));
    }

    /**
     * The result as JSON: {@code {"wpar", "to", "started", "end", "owner": {...}, "attempts": [{"checkpoint_id",
     * "taken_at", "taken_at_local", "health_before", "result", "error", "steps": [{"step", "ok", "duration_ms",
     * "summary", ...}]}]}}, local times in {@code zone}.
     */
    public ObjectNode toJson(ZoneId zone) {
        ObjectNode o = JSON.createObjectNode();
        o.put("wpar", wpar);
        o.put("to", target.toString());
        o.put("started", started());
        o.put("state", state().toString());
        o.put("end", end);
        owner.ifPresent(w -> {
            ObjectNode n = o.putObject("owner");
            n.put("owner", w.host()).put("epoch", w.epoch()).put("previous_owner", w.previousOwner()).put("changed", w.changed());
        });
        ArrayNode arr = o.putArray("attempts");
        for (Attempt a : attempts) {
            ObjectNode n = arr.addObject();
            n.put("checkpoint_id", a.checkpoint().id());
            n.put("taken_at", a.checkpoint().takenAt().toString());
            n.put("taken_at_local", local(a.checkpoint().takenAt(), zone));
            n.put("health_before", a.checkpoint().health());
            n.put("result", a.outcome().toString());
            n.put("error", a.error());
            ArrayNode steps = n.putArray("steps");
            for (Step s : a.steps()) {
                ObjectNode sj = steps.addObject();
                sj.put("step", s.name()).put("ok", s.ok()).put("duration_ms", s.duration().toMillis()).put("summary", s.summary());
                sj.setAll(s.fields());
            }
        }
        return o;
    }
}
