package io.ckpt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.restore.CheckpointSelector;
import io.ckpt.agent.restore.OwnershipCheck;
import io.ckpt.agent.restore.RestoreAndStart;
import io.ckpt.agent.restore.ServerLink;
import io.ckpt.agent.restore.StartResult;
import io.ckpt.agent.spool.Spool;
import io.ckpt.agent.spool.SpoolEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tasks the server gives this agent through {@link ControlLoop}: the final checkpoint before a
 * move (take it, stop the WPAR, upload it now), prestaging a checkpoint on a target, and the start
 * after a move or failover (restore, confirm ownership at the move's epoch, restart, health).
 * Shares the daemon's run slots (one checkpoint run per WPAR, final included) and its view of who
 * owns each WPAR, which these tasks change.
 */
final class ServerTasks {
    private static final Logger log = LoggerFactory.getLogger(ServerTasks.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<AgentConfig> config;
    private final InstantSource clock;
    private final Spool spool;
    private final Uploader uploader;
    private final RunSlots running;
    private final Map<String, String> owners;

    ServerTasks(Supplier<AgentConfig> config, InstantSource clock, Spool spool, Uploader uploader, RunSlots running,
            Map<String, String> owners) {
        this.config = config;
        this.clock = clock;
        this.spool = spool;
        this.uploader = uploader;
        this.running = running;
        this.owners = owners;
    }

    /** A task from the server (ControlLoop): a final checkpoint before a move, or a start after one. */
    ObjectNode run(String type, WparConfig w, JsonNode task) throws Exception {
        switch (type) {
            case "final_checkpoint": {
                long t0 = System.nanoTime();
                SpoolEntry e;
                Duration longestRun = w.timeouts().checkpoint().plus(w.timeouts().health().multipliedBy(2))
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
                    e = new CheckpointTaker(spool, config.get().stateDir().resolve("logs")).take(w, now.toEpochMilli(), "final", true);
                    owners.put(w.name(), "(moving)"); // stopped: no scheduled run may start once the slot is free
                } finally {
                    running.release(w.name());
                }
                double taken = (System.nanoTime() - t0) / 1e9;
                long id;
                try {
                    id = uploader.uploadNow(e);
                } catch (IOException up) {
                    ObjectNode out = StrandedFinal.restart(w, e, spool, config.get().stateDir().resolve("logs"), up,
                            uploader.takeClaimLeftBy(e));
                    if ("running".equals(out.path("wpar_state").asText())) {
                        owners.put(w.name(), config.get().hostId()); // it runs here again: scheduled checkpoints resume
                    }
                    return out.put("checkpoint_seconds", taken);
                }
                owners.put(w.name(), "(moving)");
                return JSON.createObjectNode().put("ok", true).put("checkpoint", id).put("checkpoint_seconds", taken)
                        .put("upload_seconds", (System.nanoTime() - t0) / 1e9 - taken)
                        .put("detail", "final checkpoint " + id + ": " + e.bytes() + " bytes, WPAR stopped");
            }
            case "prestage": {
                AgentConfig c = config.get();
                Path target = RestoreAndStart.defaultTarget(c, w.name());
                var step = RestoreAndStart.forAgent(c,
                        ServerLink.connecting(c.server().toString(), c.hostId(), c.serverAuth().credentials()),
                        stepLogger(w.name())).stage(task.path("checkpoint").asLong(), target);
                ObjectNode out = JSON.createObjectNode().put("ok", true).put("detail", step.summary())
                        .put("restore_seconds", step.duration().toMillis() / 1000.0);
                out.setAll(step.fields());
                return out;
            }
            case "start":
                return startTask(w, task.path("checkpoint").asLong(), task.path("epoch").asLong(),
                        task.path("fallback").asBoolean(false),
                        task.has("health_wait_seconds") ? Duration.ofSeconds(task.path("health_wait_seconds").asLong())
                                : w.health().map(h -> h.restartWait()).orElse(Duration.ZERO));
            default:
                throw new IllegalArgumentException("unknown task type '" + type + "' (agent older than the server?)");
        }
    }

    /**
     * Restores checkpoint {@code id} of {@code w} into its restore directory and starts it, if the
     * server still says this host owns it at {@code epoch} (relocation, failover); with
     * {@code fallback}, an unhealthy start goes on to the next older good checkpoint.
     */
    private ObjectNode startTask(WparConfig w, long id, long epoch, boolean fallback, Duration healthWait)
            throws Exception {
        AgentConfig c = config.get();
        RestoreAndStart r = RestoreAndStart.forAgent(c,
                ServerLink.connecting(c.server().toString(), c.hostId(), c.serverAuth().credentials()), stepLogger(w.name()));
        Path target = RestoreAndStart.defaultTarget(c, w.name());
        Files.createDirectories(target.getParent());
        StartResult result;
        try {
            result = r.run(w, new CheckpointSelector.Id(id),
                    new RestoreAndStart.Options(target,
                            true, new OwnershipCheck.Confirm(epoch), fallback, healthWait, true));
        } catch (IOException e) {
            // RestoreAndStart throws only before the restart command runs (selection, restore,
            // ownership refused, server unreachable): nothing was started.
            return JSON.createObjectNode().put("ok", false).put("state", "not_started")
                    .put("detail", "WPAR " + w.name() + " not started: " + e.getMessage());
        }
        String end = result.end().isEmpty() && !result.started() ? result.last().error() : result.end();
        ObjectNode out = JSON.createObjectNode().put("ok", result.started()).put("state", result.state().toString())
                .put("detail", result.state() == StartResult.State.UNKNOWN
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
    private static RestoreAndStart.Listener stepLogger(String wpar) {
        return new RestoreAndStart.Listener() {
            @Override
            public void step(StartResult.Step step) {
                log.info("WPAR {}: {} {} in {} ms: {}", wpar, step.name(), step.ok() ? "done" : "FAILED",
                        step.duration().toMillis(), step.summary());
            }
        };
    }
}
