package io.ckpt.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.CommandTemplate;
import io.ckpt.agent.config.ConfigException;
import io.ckpt.agent.config.FilesystemConfig;
import io.ckpt.agent.config.SourceConfig;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.process.CommandRunner;
import io.ckpt.agent.schedule.Schedule;
import io.ckpt.agent.schedule.Scheduler;
import io.ckpt.agent.spool.Spool;
import io.ckpt.agent.spool.SpoolEntry;
import io.ckpt.agent.upload.CheckpointSender;
import io.ckpt.agent.upload.PartSource;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
    private final ControlLoop controlLoop;
    private final Thread controlThread;
    /** Owner of each configured WPAR as the server last said (absent: unknown or none). */
    private final Map<String, String> owners = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Scheduler scheduler;
    private Thread schedulerThread;
    private volatile boolean closed;
    /** One checkpoint run per WPAR at a time (final included; a reload's new scheduler must not start a second one). */
    private final RunSlots running = new RunSlots();
    /** WPARs asked for by checkpoint-now: their next run is recorded as kind 'manual'. */
    private final java.util.Set<String> requested = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Counted down when close() has finished: checkpoints under way ended, uploader stopped. */
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);

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
        this.controlLoop = new ControlLoop(() -> this.config, this::runTask, pollWaitMillis());
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
                            return JSON.writeValueAsString(runTask("final_checkpoint", w, JSON.createObjectNode()));
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

    /** A task from the server (ControlLoop): a final checkpoint before a move, or a start after one. */
    private ObjectNode runTask(String type, WparConfig w, com.fasterxml.jackson.databind.JsonNode task) throws Exception {
        switch (type) {
            case "final_checkpoint": {
                long t0 = System.nanoTime();
                SpoolEntry e;
                java.time.Duration longestRun = w.timeouts().checkpoint().plus(w.timeouts().health().multipliedBy(2))
                        .plus(w.timeouts().filesystem().multipliedBy(w.filesystems().size())).plusSeconds(30);
                if (running.busy(w.name())) {
                    log.info("WPAR {}: the final checkpoint waits for the checkpoint under way to end (at most {} s)",
                            w.name(), longestRun.toSeconds());
                }
                if (!running.take(w.name(), longestRun)) {
                    throw new IOException("WPAR " + w.name() + ": a checkpoint has been running for more than "
                            + longestRun.toSeconds() + " s; the final checkpoint was not taken and the WPAR was not stopped");
                }
                Instant now = clock.instant(); // after the wait: the final checkpoint is the newest
                try {
                    e = new CheckpointTaker(spool, config.stateDir().resolve("logs")).take(w, now.toEpochMilli(), "final", true);
                    owners.put(w.name(), "(moving)"); // stopped: no scheduled run may start once the slot is free
                } finally {
                    running.release(w.name());
                }
                double taken = (System.nanoTime() - t0) / 1e9;
                long id;
                try {
                    id = uploader.uploadNow(e);
                } catch (IOException up) {
                    ObjectNode out = StrandedFinal.restart(w, e, spool, config.stateDir().resolve("logs"), up,
                            uploader.takeClaimLeftBy(e));
                    if ("running".equals(out.path("wpar_state").asText())) {
                        owners.put(w.name(), config.hostId()); // it runs here again: scheduled checkpoints resume
                    }
                    return out.put("checkpoint_seconds", taken);
                }
                owners.put(w.name(), "(moving)");
                return JSON.createObjectNode().put("ok", true).put("checkpoint", id).put("checkpoint_seconds", taken)
                        .put("upload_seconds", (System.nanoTime() - t0) / 1e9 - taken)
                        .put("detail", "final checkpoint " + id + ": " + e.bytes() + " bytes, WPAR stopped");
            }
            case "prestage": {
                AgentConfig c = config;
                Path target = io.ckpt.agent.restore.RestoreAndStart.defaultTarget(c, w.name());
                var step = io.ckpt.agent.restore.RestoreAndStart.forAgent(c,
                        io.ckpt.agent.restore.ServerLink.connecting(c.server().toString(), c.hostId(), c.serverAuth().credentials()),
                        stepLogger(w.name())).stage(task.path("checkpoint").asLong(), target);
                ObjectNode out = JSON.createObjectNode().put("ok", true).put("detail", step.summary())
                        .put("restore_seconds", step.duration().toMillis() / 1000.0);
                out.setAll(step.fields());
                return out;
            }
            case "start":
                return startTask(w, task.path("checkpoint").asLong(), task.path("epoch").asLong(),
                        task.path("fallback").asBoolean(false),
                        task.has("health_wait_seconds") ? java.time.Duration.ofSeconds(task.path("health_wait_seconds").asLong())
                                : w.health().map(h -> h.restartWait()).orElse(java.time.Duration.ZERO));
            default:
                throw new IllegalArgumentException("unknown task type '" + type + "' (agent older than the server?)");
        }
    }

    /**
     * Restores checkpoint {@code id} of {@code w} into its restore directory and starts it, if the
     * server still says this host owns it at {@code epoch} (relocation, failover); with
     * {@code fallback}, an unhealthy start goes on to the next older good checkpoint.
     */
    private ObjectNode startTask(WparConfig w, long id, long epoch, boolean fallback, java.time.Duration healthWait)
            throws Exception {
        AgentConfig c = config;
        io.ckpt.agent.restore.RestoreAndStart r = io.ckpt.agent.restore.RestoreAndStart.forAgent(c,
                io.ckpt.agent.restore.ServerLink.connecting(c.server().toString(), c.hostId(), c.serverAuth().credentials()), stepLogger(w.name()));
        Path target = io.ckpt.agent.restore.RestoreAndStart.defaultTarget(c, w.name());
        Files.createDirectories(target.getParent());
        io.ckpt.agent.restore.StartResult result;
        try {
            result = r.run(w, new io.ckpt.agent.restore.CheckpointSelector.Id(id),
                    new io.ckpt.agent.restore.RestoreAndStart.Options(target,
                            true, new io.ckpt.agent.restore.OwnershipCheck.Confirm(epoch), fallback, healthWait, true));
        } catch (IOException e) {
            // RestoreAndStart throws only before the restart command runs (selection, restore,
            // ownership refused, server unreachable): nothing was started.
            return JSON.createObjectNode().put("ok", false).put("state", "not_started")
                    .put("detail", "WPAR " + w.name() + " not started: " + e.getMessage());
        }
        String end = result.end().isEmpty() && !result.started() ? result.last().error() : result.end();
        ObjectNode out = JSON.createObjectNode().put("ok", result.started()).put("state", result.state().toString())
                .put("detail", result.state() == io.ckpt.agent.restore.StartResult.State.UNKNOWN
                        ? result.last().error() + (end.equals(result.last().error()) ? "" : "; " + end) : end);
        if (!result.attempts().isEmpty()) {
            var last = result.last();
            out.put("checkpoint", last.checkpoint().id());
            for (var step : last.steps()) {
                if (step.name().equals("restore")) {
                    out.put("reused_bytes", step.fields().path("reused_bytes").asLong(0));
                    out.put("fetched_bytes", step.fields().path("fetched_bytes").asLong(0));
                }
                String key = switch (step.name()) {
                    case "restore" -> "restore_seconds";
                    case "restart" -> "start_seconds";
                    case "health" -> "health_seconds";
                    default -> null;
                };
                if (key != null) {
                    out.put(key, step.duration().toMillis() / 1000.0);
                }
            }
        }
        if (result.started()) {
            owners.put(w.name(), c.hostId());
        }
        out.set("result", result.toJson(ZoneId.systemDefault()));
        return out;
    }

    /** Logs each step of a server-directed restore or start, as the CLI prints them. */
    private static io.ckpt.agent.restore.RestoreAndStart.Listener stepLogger(String wpar) {
        return new io.ckpt.agent.restore.RestoreAndStart.Listener() {
            @Override
            public void step(io.ckpt.agent.restore.StartResult.Step step) {
                log.info("WPAR {}: {} {} in {} ms: {}", wpar, step.name(), step.ok() ? "done" : "FAILED",
                        step.duration().toMillis(), step.summary());
            }
        };
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
                stream(w, s, started, kind);
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

    /** The stdout preset: the command's output goes straight to the server, never to local disk. */
    private void stream(WparConfig w, SourceConfig.Stdout s, Instant started, String kind) throws IOException {
        long t0 = System.nanoTime();
        Path logfile = config.stateDir().resolve("logs").resolve(w.name() + ".log");
        Files.createDirectories(logfile.getParent());
        HealthCheck.Verdict health = w.health().filter(h -> h.when().before())
                .map(h -> HealthCheck.run(h, w.name(), w.timeouts().health())).orElse(HealthCheck.Verdict.UNKNOWN);
        Map<String, String> vars = Map.of(CommandTemplate.WPAR, w.name(), CommandTemplate.LOGFILE, logfile.toString());
        long now = started.toEpochMilli();
        List<CheckpointSender.Part> parts = new ArrayList<>();
        parts.add(new CheckpointSender.Part(new PartInfo("state", PartType.DIRECTORY, 0700, now, ""), null));
        parts.add(new CheckpointSender.Part(new PartInfo("state/image", PartType.STREAM, 0600, now, ""),
                () -> CommandRunner.open(s.command().render(vars), w.timeouts().checkpoint())));
        for (FilesystemConfig fs : w.filesystems()) {
            if (fs instanceof FilesystemConfig.Stream fss) {
                parts.add(new CheckpointSender.Part(new PartInfo("fs/" + fss.name(), PartType.STREAM, 0600, now, ""),
                        () -> CommandRunner.open(fss.command().render(vars), w.timeouts().filesystem())));
            } else if (fs instanceof FilesystemConfig.Directory d) {
                PartSource.scan(d.directory(), "fs/" + d.name() + "/", p -> log.warn("WPAR {}: skipping {}", w.name(), p))
                        .forEach(p -> parts.add(CheckpointSender.Part.of(p)));
            }
        }
        if (w.health().isPresent() && w.health().get().when().after()) {
            health = HealthCheck.worse(health, HealthCheck.run(w.health().get(), w.name(), w.timeouts().health()));
        }
        AgentConfig c = config;
        AtomicLong sent = new AtomicLong();
        com.fasterxml.jackson.databind.JsonNode result;
        try (CkptClient client = CkptClient.connect(c.server().toString(), c.hostId(), c.serverAuth().credentials())) {
            result = CheckpointSender.send(client, new Frame.UploadBegin(w.name(), now, kind,
                    Frame.UploadBegin.MODE_STREAM, List.of(), java.util.UUID.randomUUID().toString(), health.health(),
                    health.reason()), parts, sent::addAndGet, CheckpointSender.Mode.parse(c.upload().modeFor(false)), log::info);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long id = result.path("id").asLong();
        state.record(new RunRecord(w.name(), started, ms, RunRecord.UPLOADED, id, sent.get(), health.health(), health.reason()));
        log.info("WPAR {} checkpoint {} streamed in {} ms: {} bytes sent, health {}", w.name(), id, ms, sent.get(), health.health());
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
