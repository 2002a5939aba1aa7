package io.ckpt.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agents the server knows: each agent keeps a control connection on which it long-polls
 * ({@code {"op":"poll","host":H,"wpars":[...]}}). A poll is a heartbeat; its answer carries the
 * tasks queued for that host (final checkpoint, restore and start), or nothing after the wait.
 * The agent reports each task's end with {@code {"op":"task_result",...}}, which completes the
 * future the caller (a relocation, a failover) waits on.
 *
 * <p>A host is live while its last poll is younger than the lease. No thread is held by a
 * parked poll: its answer is a callback, fired by a task arriving or by a timer.
 */
public final class Hosts implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Hosts.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest a poll is held before an empty answer. */
    static final long MAX_WAIT_MILLIS = 10_000;

    private final Duration lease;
    private volatile java.util.function.Function<String, String> ownerOf = w -> null;
    private final Map<String, Host> hosts = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<JsonNode>> results = new ConcurrentHashMap<>();
    /** The host each pending task was queued for: only it may report the task's end. */
    private final Map<Long, String> resultHosts = new ConcurrentHashMap<>();
    /**
     * Task ids, from a random start in each server run: an agent reports a task's end even after the
     * server restarted (its report is retried; a final checkpoint can outlast a restart), and that
     * report must find no task, not the new run's task that counting from 1 again would give the same
     * number (a final checkpoint of another WPAR, whose future it would end with the wrong checkpoint).
     * Two runs' ids overlap with a chance of about (tasks of both runs) / 2^52. Ids stay below 2^53,
     * exact in JSON readers that hold numbers as doubles.
     */
    private final AtomicLong taskIds = new AtomicLong(new java.security.SecureRandom().nextLong(1L << 52));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "poll-timer");
        t.setDaemon(true);
        return t;
    });

    /** What the server knows of one agent. Guarded by itself. */
    private static final class Host {
        final String name;
        Instant lastSeen;
        String address = "";
        JsonNode wpars = JSON.createArrayNode();
        final Deque<ObjectNode> queued = new ArrayDeque<>();
        Consumer<String> parked;
        ScheduledFuture<?> parkTimer;

        Host(String name) {
            this.name = name;
        }
    }

    public Hosts(Duration lease) {
        this.lease = lease;
    }

    public Duration lease() {
        return lease;
    }

    /** How a poll's answer learns each reported WPAR's owner (null: none), so agents know what they own. */
    public void ownersFrom(java.util.function.Function<String, String> ownerOf) {
        this.ownerOf = ownerOf;
    }

    /**
     * A poll from {@code host}: records the heartbeat, then answers through {@code reply} at once
     * when tasks are queued, else when one is queued or {@code wait_ms} (at most 10 s) has passed.
     */
    public void poll(String host, JsonNode req, String address, Consumer<String> reply) throws RequestRefusedException {
        if (host == null || host.isEmpty()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "poll needs the agent's host id (HELLO or 'host')");
        }
        long wait = Math.max(0, Math.min(MAX_WAIT_MILLIS, req.path("wait_ms").asLong(MAX_WAIT_MILLIS)));
        Host h = hosts.computeIfAbsent(host, Host::new);
        synchronized (h) {
            boolean wasKnown = h.lastSeen != null;
            h.lastSeen = Instant.now();
            h.address = address;
            if (req.has("wpars")) {
                h.wpars = req.get("wpars");
            }
            if (!wasKnown) {
                log.info("agent {} connected from {}", host, address);
            }
            if (h.parked != null) { // a newer poll replaces an older one (a reconnect): the old one gets nothing
                answer(h, List.of());
            }
            if (!h.queued.isEmpty() || wait == 0) {
                List<ObjectNode> tasks = new ArrayList<>(h.queued);
                h.queued.clear();
                reply.accept(tasksJson(tasks, owners(h)));
                return;
            }
            h.parked = reply;
            h.parkTimer = timer.schedule(() -> {
                synchronized (h) {
                    if (h.parked == reply) {
                        answer(h, List.of());
                    }
                }
            }, wait, TimeUnit.MILLISECONDS);
        }
    }

    private void answer(Host h, List<ObjectNode> tasks) {
        Consumer<String> r = h.parked;
        h.parked = null;
        if (h.parkTimer != null) {
            h.parkTimer.cancel(false);
            h.parkTimer = null;
        }
        r.accept(tasksJson(tasks, owners(h)));
    }

    /** The owner of each WPAR the host's agent reports. */
    private ObjectNode owners(Host h) {
        ObjectNode o = JSON.createObjectNode();
        for (JsonNode w : h.wpars) {
            String name = w.path("name").asText(w.asText());
            try {
                o.put(name, ownerOf.apply(name));
            } catch (RuntimeException e) {
                log.debug("owner of {}: {}", name, e.getMessage());
            }
        }
        return o;
    }

    private static String tasksJson(List<ObjectNode> tasks, ObjectNode owners) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode a = o.putArray("tasks");
        tasks.forEach(a::add);
        o.set("owners", owners);
        try {
            return JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Queues {@code task} (its {@code type} and arguments) for {@code host} and returns the future
     * of its result, which the caller bounds with a timeout. The task is given an {@code id}.
     */
    public CompletableFuture<JsonNode> submit(String host, ObjectNode task) {
        long id = taskIds.incrementAndGet();
        task.put("id", id);
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        resultHosts.put(id, host);
        results.put(id, f);
        f.whenComplete((r, t) -> {
            results.remove(id);
            resultHosts.remove(id);
        });
        Host h = hosts.computeIfAbsent(host, Host::new);
        synchronized (h) {
            h.queued.add(task);
            if (h.parked != null) {
                List<ObjectNode> tasks = new ArrayList<>(h.queued);
                h.queued.clear();
                answer(h, tasks);
            }
        }
        log.info("task {} ({} {}) queued for {}", id, task.path("type").asText(), task.path("wpar").asText(), host);
        return f;
    }

    /** An agent's report of a task's end: completes its future (unknown ids are ignored: a timed-out task). */
    public void result(String host, JsonNode report) {
        long id = report.path("task").asLong(-1);
        CompletableFuture<JsonNode> f = results.get(id);
        if (f == null) {
            log.warn("result of task {} from {} arrived after its caller gave up", id, host);
            return;
        }
        String queuedFor = resultHosts.get(id);
        if (queuedFor != null && !queuedFor.equals(host)) {
            log.warn("result of task {} from {} ignored: the task was queued for {}", id, host, queuedFor);
            return;
        }
        f.complete(report);
    }

    /** Drops tasks queued for {@code host} that it never fetched (a relocation gave up on it). */
    public void cancelQueued(String host, long taskId) {
        Host h = hosts.get(host);
        if (h != null) {
            synchronized (h) {
                h.queued.removeIf(t -> t.path("id").asLong() == taskId);
            }
        }
    }

    public boolean isLive(String host) {
        Host h = hosts.get(host);
        if (h == null) {
            return false;
        }
        synchronized (h) {
            return h.lastSeen != null && (h.parked != null
                    || Duration.between(h.lastSeen, Instant.now()).compareTo(lease) <= 0);
        }
    }

    /** Whether {@code host}'s agent has polled since the server started. */
    public boolean wasSeen(String host) {
        Host h = hosts.get(host);
        if (h == null) {
            return false;
        }
        synchronized (h) {
            return h.lastSeen != null;
        }
    }

    /** Hosts whose agents report {@code wpar} in their config. */
    public List<String> hostsConfiguring(String wpar) {
        List<String> out = new ArrayList<>();
        for (Host h : hosts.values()) {
            synchronized (h) {
                for (JsonNode w : h.wpars) {
                    if (wpar.equals(w.path("name").asText(w.asText()))) {
                        out.add(h.name);
                    }
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** Every known host: name, address, last heartbeat, live, the WPARs its agent reports. */
    public List<ObjectNode> describe() {
        Map<String, ObjectNode> out = new TreeMap<>();
        for (Host h : hosts.values()) {
            synchronized (h) {
                ObjectNode o = JSON.createObjectNode().put("host", h.name).put("address", h.address);
                if (h.lastSeen != null) {
                    o.put("last_heartbeat", h.lastSeen.toString());
                    o.put("seconds_since_heartbeat", Duration.between(h.lastSeen, Instant.now()).toMillis() / 1000.0);
                }
                o.set("configured_wpars", h.wpars.deepCopy());
                out.put(h.name, o);
            }
        }
        List<ObjectNode> list = new ArrayList<>();
        for (ObjectNode o : out.values()) {
            o.put("live", isLive(o.path("host").asText()));
            list.add(o);
        }
        return list;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        results.values().forEach(f -> f.completeExceptionally(new IllegalStateException("server stopping")));
    }
}
