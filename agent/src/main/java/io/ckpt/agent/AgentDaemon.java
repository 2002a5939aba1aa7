package io.ckpt.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.health.HealthCheck;
import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.ConfigException;
import io.ckpt.agent.config.SourceConfig;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.schedule.Schedule;
import io.ckpt.agent.schedule.Scheduler;
import io.ckpt.agent.spool.Spool;
import io.ckpt.agent.spool.SpoolEntry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ckpt agent --config FILE}: runs each configured WPAR's checkpoint on its schedule,
 * spools the result and uploads it, and serves status on the control endpoint. SIGHUP reloads
 * the config (an invalid one is reported and the old one keeps running); SIGTERM stops.
 */
public final class AgentDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentDaemon.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path configFile;
    private final InstantSource clock;
    private volatile AgentConfig config;
    private final AgentState state;
    private final Spool spool;
    private final Uploader uploader;
    private final ExecutorService jobs = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "checkpoint");
        t.setDaemon(true);
        return t;
    });
    private final Thread uploaderThread;
    private final ControlServer control;
    private final ServerTasks tasks;
    private final ControlLoop controlLoop;
    private final Thread controlThread;
    /** Owner of each configured WPAR as the server last said (absent: unknown or none). */
    private final Map<String, String> owners = new ConcurrentHashMap<>();
    private volatile Scheduler scheduler;
    private Thread schedulerThread;
    private volatile boolean closed;
    /** One checkpoint run per WPAR at a time (final included; a reload's new scheduler must not start a second one). */
    private final RunSlots running = new RunSlots();
    /** WPARs asked for by checkpoint-now: their next run is recorded as kind 'manual'. */
    private final Set<String> requested = ConcurrentHashMap.newKeySet();
    /** Counted down when close() has finished: checkpoints under way ended, uploader stopped. */
    private final CountDownLatch stopped = new CountDownLatch(1);

    private AgentDaemon(Path configFile, AgentConfig config, InstantSource clock) throws IOException {
        this.configFile = configFile;
        this.config = config;
        this.clock = clock;
        Files.createDirectories(config.stateDir());
        this.state = new AgentState(config.stateDir().resolve("agent-state.json"));
        this.spool = new Spool(config.stateDir().resolve("spool"), config.spool().maxBytes().bytes(),
                config.spool().maxCheckpoints(), config.spool().maxCheckpointsPerWpar(), state::dropped);
        this.uploader = new Uploader(spool, state, () -> {
            AgentConfig c = this.config;
            return new Uploader.Settings(c.server().toString(), c.hostId(), c.upload(), c.serverAuth());
        });
        this.uploaderThread = new Thread(uploader, "uploader");
        this.tasks = new ServerTasks(() -> this.config, clock, spool, uploader, running, owners);
        this.controlLoop = new ControlLoop(() -> this.config, tasks::run, pollWaitMillis());
        this.controlThread = new Thread(controlLoop, "control");
        this.controlThread.setDaemon(true);
        this.controlLoop.onOwner((w, o) -> {
            String before = o == null ? owners.remove(w) : owners.put(w, o);
            String me = this.config.hostId();
            if (o != null && !o.equals(before)) {
                if (!o.equals(me)) {
                    log.info("WPAR {} is owned by {}, not by this host: no checkpoints here until it moves back", w, o);
                } else if (before != null) {
                    log.info("WPAR {} is owned by this host again", w);
                }
            }
        });
        this.control = new ControlServer(new InetSocketAddress(config.control().host(), config.control().port()),
                new ControlServer.Handler() {
                    @Override
                    public String status() throws IOException {
                        return statusJson();
                    }

                    @Override
                    public String checkpointNow(String wpar) throws IOException {
                        if (AgentDaemon.this.config.wpar(wpar).isEmpty()) {
                            return null;
                        }
                        requested.add(wpar);
                        Scheduler.Trigger t = scheduler.triggerNow(wpar);
                        log.info("WPAR {}: checkpoint requested now ({})", wpar, t.name().toLowerCase());
                        return JSON.writeValueAsString(JSON.createObjectNode().put("wpar", wpar)
                                .put("result", t.name().toLowerCase()));
                    }

                    @Override
                    public String finalCheckpoint(String wpar) throws IOException {
                        WparConfig w = AgentDaemon.this.config.wpar(wpar).orElse(null);
                        if (w == null) {
                            return null;
                        }
                        try {
                            return JSON.writeValueAsString(tasks.run("final_checkpoint", w, JSON.createObjectNode()));
                        } catch (IOException | RuntimeException e) {
                            throw e;
                        } catch (Exception e) {
                            throw new IOException(e.getMessage(), e);
                        }
                    }

                    @Override
                    public String health(String wpar) throws IOException {
                        WparConfig w = AgentDaemon.this.config.wpar(wpar).orElse(null);
                        if (w == null) {
                            return null;
                        }
                        HealthCheck.Verdict v = w.health().map(h -> HealthCheck.run(h, w.name(), w.timeouts().health()))
                                .orElse(new HealthCheck.Verdict("unknown", "no health check configured"));
                        return JSON.writeValueAsString(JSON.createObjectNode().put("wpar", wpar).put("health", v.health())
                                .put("reason", v.reason()));
                    }
                });
    }

    /** Loads the config and starts everything; fails (starting nothing) on an invalid config. */
    public static AgentDaemon start(Path configFile, InstantSource clock) throws IOException, ConfigException {
        AgentConfig cfg = AgentConfig.load(configFile);
        AgentDaemon d = new AgentDaemon(configFile, cfg, clock);
        d.uploaderThread.setDaemon(true);
        d.uploaderThread.start();
        d.controlThread.start();
        d.startScheduler();
        log.info("agent {} started: {} WPAR(s), server {}, control {}:{}, spool {} ({} waiting)", cfg.hostId(),
                cfg.wpars().size(), cfg.server(), d.control.address().getAddress().getHostAddress(), d.control.address().getPort(), d.spool.entries().isEmpty() ? "empty" : "not empty",
                d.spool.entries().size());
        return d;
    }

    public InetSocketAddress controlAddress() {
        return control.address();
    }

    private synchronized void startScheduler() {
        Map<String, Schedule> schedules = new LinkedHashMap<>();
        for (WparConfig w : config.wpars()) {
            schedules.put(w.name(), w.schedule(ZoneId.systemDefault()));
        }
        Scheduler s = new Scheduler(clock, schedules, state.lastRuns(), jobs, this::checkpoint);
        scheduler = s;
        schedulerThread = new Thread(() -> {
            try {
                s.runUntilClosed();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "scheduler");
        schedulerThread.setDaemon(true);
        schedulerThread.start();
    }

    /** SIGHUP: a valid new config replaces the old one; an invalid one is logged and ignored. */
    public synchronized void reload() {
        AgentConfig next;
        try {
            next = AgentConfig.load(configFile);
        } catch (ConfigException | RuntimeException e) {
            log.error("config reload failed, keeping the running config: {}", e.getMessage());
            return;
        }
        if (!next.control().equals(config.control()) || !next.stateDir().equals(config.stateDir())
                || !next.spool().equals(config.spool())) {
            log.warn("control, state-dir and spool changes take effect at the next start");
        }
        config = next;
        scheduler.close();
        startScheduler();
        log.info("config reloaded: {} WPAR(s)", next.wpars().size());
    }

    /** How long each control poll waits for a task (CKPT_POLL_WAIT_MS, for tests; default 10 s). */
    private static long pollWaitMillis() {
        String v = System.getenv("CKPT_POLL_WAIT_MS");
        try {
            return v == null ? 10_000 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 10_000;
        }
    }

    /** One checkpoint of one WPAR (a scheduler job). */
    private void checkpoint(String wpar) throws Exception {
        WparConfig w = config.wpar(wpar).orElse(null);
        if (w == null) {
            return; // removed by a reload
        }
        String owner = owners.get(wpar);
        if (owner != null && !owner.equals(config.hostId())) {
            log.debug("WPAR {}: scheduled checkpoint skipped, {} owns it", wpar, owner);
            return;
        }
        if (!running.tryTake(wpar)) {
            log.info("WPAR {}: another checkpoint of it (a final one, or one started before a reload) is running; this one is skipped",
                    wpar);
            return;
        }
        try {
            owner = owners.get(wpar); // a final checkpoint may have stopped it while this run waited to start
            if (owner != null && !owner.equals(config.hostId())) {
                log.debug("WPAR {}: scheduled checkpoint skipped, {} owns it", wpar, owner);
                return;
            }
            checkpoint(w, requested.remove(wpar) ? "manual" : "scheduled");
        } finally {
            running.release(wpar);
        }
    }

    private void checkpoint(WparConfig w, String kind) throws Exception {
        String wpar = w.name();
        Instant started = clock.instant();
        state.ran(wpar, started);
        long t0 = System.nanoTime();
        try {
            if (w.source() instanceof SourceConfig.Stdout s) {
                state.record(new StreamCheckpoint(config).run(w, s, started, kind));
                return;
            }
            SpoolEntry e = new CheckpointTaker(spool, config.stateDir().resolve("logs")).take(w, started.toEpochMilli(), kind);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            state.record(new RunRecord(wpar, started, ms, RunRecord.SPOOLED, 0, e.bytes(), e.health(), e.healthReason()));
            log.info("WPAR {} checkpoint taken in {} ms: {} bytes spooled, health {}{}", wpar, ms, e.bytes(), e.health(),
                    e.healthReason().isEmpty() ? "" : " (" + e.healthReason() + ")");
            uploader.poke();
        } catch (IOException | RuntimeException e) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            state.record(new RunRecord(wpar, started, ms, RunRecord.FAILED, 0, 0, "unknown", e.getMessage()));
            log.error("WPAR {} checkpoint failed after {} ms: {}", wpar, ms, e.getMessage());
        }
    }

    private String statusJson() throws IOException {
        AgentConfig c = config;
        ObjectNode root = JSON.createObjectNode().put("host_id", c.hostId()).put("server", c.server().toString());
        Map<String, Integer> spooled = new LinkedHashMap<>();
        for (SpoolEntry e : spool.entries()) {
            spooled.merge(e.wpar(), 1, Integer::sum);
        }
        ArrayNode wpars = root.putArray("wpars");
        for (Scheduler.Status st : scheduler.status()) {
            ObjectNode w = wpars.addObject().put("wpar", st.wpar());
            st.lastRun().ifPresent(t -> w.put("last_run", t.toString()));
            w.put("next_due", st.nextDue().toString());
            w.put("running", st.running());
            w.put("queued", st.queued());
            w.put("spooled", spooled.getOrDefault(st.wpar(), 0));
            w.setAll(state.json(st.wpar()));
        }
        return JSON.writeValueAsString(root);
    }

    /** Returns once {@link #close()} has finished, so the process never exits in the middle of a checkpoint. */
    public void awaitClose() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            stopEverything();
        } finally {
            stopped.countDown();
        }
    }

    private void stopEverything() {
        scheduler.close();
        control.close();
        controlLoop.close();
        uploader.close();
        jobs.shutdown();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            if (!jobs.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("checkpoints still running at stop; their staging is discarded at the next start");
                jobs.shutdownNow();
            }
            // A task from the server (a start, say) is finished, or interrupted and its result
            // (then "unknown" if the restart ran) reported, before the agent exits.
            controlLoop.awaitTasks(java.time.Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            uploaderThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("agent stopped");
    }
}
