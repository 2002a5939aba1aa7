package io.ckpt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.net.CkptClient;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's control connection: it long-polls the server (each poll is also the heartbeat
 * that keeps this host live), runs the tasks the answers carry on threads of their own, so that
 * polling goes on while a final checkpoint or a restore runs, and reports each task's end.
 * A lost connection is retried every 2 s.
 */
final class ControlLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ControlLoop.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs one task and returns its report ({@code ok}, {@code detail}, task-specific fields). */
    interface TaskHandler {
        ObjectNode run(String type, WparConfig wpar, JsonNode task) throws Exception;
    }

    private final Supplier<AgentConfig> config;
    private final TaskHandler handler;
    private final long waitMillis;
    private final ExecutorService tasks = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "control-task");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;
    private volatile CkptClient current;

    /** Receives the owner of each configured WPAR from every poll's answer. */
    private volatile java.util.function.BiConsumer<String, String> ownerListener = (w, o) -> { };

    void onOwner(java.util.function.BiConsumer<String, String> listener) {
        this.ownerListener = listener;
    }

    ControlLoop(Supplier<AgentConfig> config, TaskHandler handler, long waitMillis) {
        this.config = config;
        this.handler = handler;
        this.waitMillis = waitMillis;
    }

    @Override
    public void run() {
        boolean warned = false;
        while (!closed) {
            AgentConfig c = config.get();
            try (CkptClient client = CkptClient.connect(c.server().toString(), c.hostId(), c.serverAuth().credentials())) {
                current = client;
                if (warned) {
                    log.info("control connection to {} restored", c.server());
                    warned = false;
                }
                while (!closed) {
                    JsonNode answer = client.request(poll(config.get()));
                    answer.path("owners").fields().forEachRemaining(e ->
                            ownerListener.accept(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
                    for (JsonNode task : answer.path("tasks")) {
                        tasks.execute(() -> runTask(task));
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
                if (!warned) {
                    log.warn("control connection to {}: {}; retrying every 2 s", c.server(), e.getMessage());
                    warned = true;
                }
                sleep(2000);
            } finally {
                current = null;
            }
        }
    }

    private ObjectNode poll(AgentConfig c) {
        ObjectNode p = JSON.createObjectNode().put("op", "poll").put("host", c.hostId()).put("wait_ms", waitMillis);
        ArrayNode w = p.putArray("wpars");
        for (WparConfig wc : c.wpars()) {
            w.addObject().put("name", wc.name()).put("restartable", wc.restart().isPresent());
        }
        return p;
    }

    private void runTask(JsonNode task) {
        String type = task.path("type").asText();
        String wpar = task.path("wpar").asText();
        long t0 = System.nanoTime();
        log.info("task {} from the server: {} of WPAR {}", task.path("id").asLong(), type, wpar);
        ObjectNode result;
        try {
            WparConfig w = config.get().wpar(wpar).orElseThrow(() -> new IllegalArgumentException(
                    "WPAR " + wpar + " is not in this agent's config"));
            result = handler.run(type, w, task);
        } catch (Exception e) {
            result = JSON.createObjectNode().put("ok", false).put("detail", e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage());
            if (type.equals("start")) {
                result.put("state", "unknown"); // an unexpected failure: what runs is not known
            }
        }
        result.put("op", "task_result").put("task", task.path("id").asLong()).put("host", config.get().hostId())
                .put("seconds", (System.nanoTime() - t0) / 1e9);
        log.info("task {} ({} of WPAR {}) {}: {}", task.path("id").asLong(), type, wpar,
                result.path("ok").asBoolean() ? "done" : "FAILED", result.path("detail").asText(""));
        // Reported even while the agent stops (close() waits for this): a start's result says what runs here.
        // An interrupted task (the agent stopping) still reports: the flag is set aside while it does.
        boolean interrupted = Thread.interrupted();
        try {
            report(task, type, wpar, result);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void report(JsonNode task, String type, String wpar, ObjectNode result) {
        for (int attempt = 0; attempt < 5; attempt++) {
            AgentConfig c = config.get();
            try (CkptClient client = CkptClient.connect(c.server().toString(), c.hostId(), c.serverAuth().credentials())) {
                client.request(result);
                return;
            } catch (IOException e) {
                log.warn("reporting task {} failed ({}); retrying", task.path("id").asLong(), e.getMessage());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        log.error("task {} ({} of WPAR {}) could not be reported to the server: it will count it as unanswered ({})",
                task.path("id").asLong(), type, wpar, result.path("state").asText(result.path("ok").asBoolean() ? "ok" : "failed"));
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** Stops polling; tasks under way go on ({@link #awaitTasks}). */
    void close() {
        closed = true;
        CkptClient c = current;
        if (c != null) {
            c.close();
        }
        tasks.shutdown();
    }

    /**
     * Waits up to {@code wait} for the tasks under way to end and report; then interrupts them
     * (a start then reports "unknown" if its restart ran) and gives them 10 s more to report.
     */
    void awaitTasks(java.time.Duration wait) throws InterruptedException {
        if (tasks.awaitTermination(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            return;
        }
        log.warn("a task from the server is still running at stop: interrupted, its result is reported as it stands");
        tasks.shutdownNow();
        if (!tasks.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
            log.error("a task from the server did not end after its interruption; the server will count it as unanswered");
        }
    }
}
