package io.ckpt.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The report of one move under construction (steps with their hosts and durations, logged as they
 * end), and how an agent's answer to a task is read.
 */
final class MoveReport {
    private static final Logger log = LoggerFactory.getLogger(Mover.class);
    static final ObjectMapper JSON = new ObjectMapper();

    final ObjectNode root = JSON.createObjectNode();
    private final ArrayNode steps = root.putArray("steps");
    private final long t0 = System.nanoTime();

    ObjectNode step(String name, String host, long startNanos, boolean ok, String detail) {
        ObjectNode s = steps.addObject().put("step", name).put("host", host)
                .put("seconds", (System.nanoTime() - startNanos) / 1e9).put("ok", ok);
        if (detail != null && !detail.isEmpty()) {
            s.put("detail", detail);
        }
        log.info("{} on {}: {} in {} s{}", name, host, ok ? "done" : "FAILED", String.format("%.2f",
                (System.nanoTime() - startNanos) / 1e9), detail == null || detail.isEmpty() ? "" : " (" + detail + ")");
        return s;
    }

    ObjectNode done(boolean ok) {
        return root.put("ok", ok).put("total_seconds", (System.nanoTime() - t0) / 1e9);
    }

    /**
     * What a start task left running: its {@code state}; without one (no answer in time, the agent
     * gone, an agent too old to say) "unknown" unless it succeeded.
     */
    static String state(JsonNode result) {
        String s = result.path("state").asText("");
        if (s.equals("started") || s.equals("not_started") || s.equals("unknown")) {
            return s;
        }
        return ok(result) ? "started" : "unknown";
    }

    static boolean ok(JsonNode result) {
        return result.path("ok").asBoolean(false);
    }

    static String detail(JsonNode result) {
        return result.path("detail").asText("");
    }

    /** Copies an agent's step times and restore figures into the report's step. */
    static void copyTimes(JsonNode from, ObjectNode to) {
        for (String k : new String[] {"restore_seconds", "start_seconds", "health_seconds", "checkpoint", "reused_bytes",
                "fetched_bytes"}) {
            if (from.has(k)) {
                to.set(k, from.get(k));
            }
        }
    }
}
