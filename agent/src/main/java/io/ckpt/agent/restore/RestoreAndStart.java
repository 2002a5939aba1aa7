package io.ckpt.agent.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.health.HealthCheck;
import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.CommandTemplate;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.net.ClientException;
import io.ckpt.agent.process.CommandResult;
import io.ckpt.agent.process.CommandRunner;
import io.ckpt.agent.restore.StartResult.Attempt;
import io.ckpt.agent.restore.StartResult.Checkpoint;
import io.ckpt.agent.restore.StartResult.Outcome;
import io.ckpt.agent.restore.StartResult.Owner;
import io.ckpt.agent.restore.StartResult.Step;
import io.ckpt.protocol.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Starts a WPAR from a stored checkpoint: restore it into a directory (every part's SHA-256
 * verified, moved into place only when complete), make sure this host may run the WPAR (claim
 * or confirm its ownership on the server), run the WPAR's restart command with {@code {statedir}}
 * the restored {@code state} directory, then its health check. A WPAR that restarts but is not
 * healthy has its checkpoint marked bad and is stopped with its stop command; with
 * {@link Options#fallback} the newest good checkpoint older than it is tried next, until one
 * comes up healthy or none is left.
 *
 * <p>A restart command that fails is not marked bad and nothing is stopped: the cause may be this
 * host's (the WPAR already running here, say), and stopping would stop that. Each run ends in one
 * of three states ({@link StartResult#state}): started; not started (the restart ran to its end and
 * failed, or an unhealthy start was stopped); unknown (a restart killed by its timeout, an unhealthy
 * start whose stop failed or is missing, an interruption after the restart). An unknown state
 * ends the run: no fallback, and the server must not start the WPAR elsewhere (Mover). Ownership is
 * claimed once, at the first attempt that restored; later attempts confirm the epoch that claim
 * gave, so a take-over by another host meanwhile stops the fallback. Refusals by the server
 * (ownership, unreachable) end the run with their {@link ClientException}; when ownership is
 * refused, a target that was empty before the run is left empty again.
 */
public final class RestoreAndStart {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often the health check is repeated while {@link Options#healthWait} lasts. */
    static final Duration HEALTH_RETRY = Duration.ofSeconds(2);

    /** Hears attempts and steps as they happen (the CLI prints them). Every method may be left out. */
    public interface Listener {
        Listener NONE = new Listener() {};

        default void attempt(int number, Checkpoint checkpoint) {}

        default void step(Step step) {}

        /** Bytes of the restore as they are written. */
        default void restored(long bytes) {}
    }

    /**
     * How to start.
     *
     * @param target the directory to restore into ({@link #defaultTarget} for the agent's own)
     * @param replaceExisting replace {@code target} if it is not empty; later attempts of one run always replace
     *     what the earlier one restored
     * @param ownership claim the WPAR ({@code ckpt restore --start}) or confirm an epoch given (relocation, failover)
     * @param fallback after a failed attempt, try the newest good checkpoint older than the one that failed
     * @param healthWait how long the health check is repeated (every {@link #HEALTH_RETRY}) before the WPAR counts
     *     as unhealthy; zero: one check
     * @param reuseLocal when the target already holds an earlier restore of the WPAR, take the chunks it can from
     *     there and fetch only the rest ({@link ChunkReuse}); anything wrong with it falls back to a whole restore
     */
    public record Options(Path target, boolean replaceExisting, OwnershipCheck ownership, boolean fallback,
            Duration healthWait, boolean reuseLocal) {
        public Options {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(ownership, "ownership");
            if (healthWait.isNegative()) {
                throw new IllegalArgumentException("healthWait < 0");
            }
        }

        /** Without reuse of what the target already holds. */
        public Options(Path target, boolean replaceExisting, OwnershipCheck ownership, boolean fallback, Duration healthWait) {
            this(target, replaceExisting, ownership, fallback, healthWait, false);
        }
    }

    private final ServerLink server;
    private final String hostId;
    private final Path logDir;
    private final Listener listener;

    /**
     * @param hostId this host as the server knows it: the agent config's {@code host-id}
     * @param logDir where {@code {logfile}} ({@code WPAR.log}) lives: the agent's {@code STATE-DIR/logs}
     */
    public RestoreAndStart(ServerLink server, String hostId, Path logDir, Listener listener) {
        this.server = Objects.requireNonNull(server, "server");
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.logDir = Objects.requireNonNull(logDir, "logDir");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** One for the agent of {@code config}: its host id and log directory. */
    public static RestoreAndStart forAgent(AgentConfig config, ServerLink server, Listener listener) {
        return new RestoreAndStart(server, config.hostId(), config.stateDir().resolve("logs"), listener);
    }

    /** Where the agent of {@code config} restores {@code wpar} unless told otherwise: {@code STATE-DIR/restore/WPAR}. */
    public static Path defaultTarget(AgentConfig config, String wpar) {
        return config.stateDir().resolve("restore").resolve(wpar);
    }

    /** Restores the checkpoint {@code selector} chooses and starts {@code wpar} from it (and, with fallback, older ones). */
    public StartResult run(WparConfig wpar, CheckpointSelector selector, Options options) throws IOException {
        CommandTemplate restart = wpar.restart().orElseThrow(() -> new RestoreException(RestoreException.Kind.NOT_STARTABLE,
                "WPAR " + wpar.name() + " has no restart command in the agent config (wpars[].restart.command;"
                        + " only the aix preset has a default)"));
        Path target = options.target().toAbsolutePath().normalize();
        TreeWriter.destination(target, null, options.replaceExisting()); // refused before anything is asked of the server
        boolean targetWasEmpty = !Files.exists(target) || TreeWriter.isEmpty(target);
        Files.createDirectories(logDir);
        Path logfile = logDir.resolve(wpar.name() + ".log");
        List<Attempt> attempts = new ArrayList<>();
        Owner owner = options.ownership() instanceof OwnershipCheck.Confirm c
                ? new Owner(wpar.name(), hostId, c.epoch(), hostId, false) : null;
        boolean claimed = owner != null;
        boolean replace = options.replaceExisting();
        CheckpointSelector next = selector;
        while (true) {
            Checkpoint cp;
            try {
                cp = Checkpoint.of(server.request(next.request(wpar.name())).path("checkpoint"));
            } catch (ClientException e) {
                if (attempts.isEmpty() || e.isUnreachable() || e.code() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
                return new StartResult(wpar.name(), target, attempts, Optional.ofNullable(claimed ? owner : null),
                        "no checkpoint marked good older than checkpoint " + attempts.get(attempts.size() - 1).checkpoint().id()
                                + " is left");
            }
            int number = attempts.size() + 1;
            listener.attempt(number, cp);
            List<Step> steps = new ArrayList<>();
            Outcome outcome;
            String error = "";
            boolean stopped = false;
            try {
                report(steps, restore(cp, target, replace, options.reuseLocal()));
            } catch (RestoreException | ClientException e) {
                boolean checkpointsFault = e instanceof RestoreException r ? r.kind() != RestoreException.Kind.BAD_TARGET
                        : !((ClientException) e).isUnreachable() && ((ClientException) e).code() == ErrorCode.CORRUPT;
                if (!options.fallback() || !checkpointsFault) {
                    throw e;
                }
                report(steps, new Step("restore", Duration.ZERO, false, e.getMessage(), JSON.createObjectNode()));
                attempts.add(new Attempt(number, cp, steps, Outcome.RESTORE_FAILED, e.getMessage()));
                next = new CheckpointSelector.GoodOlderThan(cp.id());
                continue;
            }
            replace = true;
            try {
                owner = ownership(wpar.name(), claimed ? new OwnershipCheck.Confirm(owner.epoch()) : options.ownership(), steps);
            } catch (IOException e) {
                if (targetWasEmpty) {
                    TreeWriter.deleteQuietly(target); // as before the run: a retry (--take-over) needs no --force
                }
                throw e;
            }
            claimed = true;

            Step restarted = runCommand("restart", restart.render(Map.of(CommandTemplate.WPAR, wpar.name(),
                    CommandTemplate.STATEDIR, target.resolve("state").toString(), CommandTemplate.LOGFILE, logfile.toString())),
                    wpar.timeouts().restart(), logfile);
            report(steps, restarted);
            if (!restarted.ok() && (restarted.fields().path("timed_out").asBoolean(false)
                    || Thread.currentThread().isInterrupted())) {
                // Killed by its timeout, or not waited for to its end: it may have started the WPAR.
                outcome = Outcome.RESTART_UNKNOWN;
                error = "restart did not finish (" + restarted.summary() + "): WPAR " + wpar.name()
                        + " may be running from checkpoint " + cp.id();
            } else if (!restarted.ok()) {
                outcome = Outcome.RESTART_FAILED;
                error = "restart failed: " + restarted.summary();
                stopped = true; // it ran to its end and failed: nothing of ours runs; see the class comment
            } else if (wpar.health().isEmpty()) {
                report(steps, new Step("health", Duration.ZERO, true, "not checked: the WPAR has no health check in"
                        + " the agent config (health unknown)", JSON.createObjectNode().put("health", "unknown")));
                outcome = Outcome.STARTED_UNCHECKED;
            } else {
                HealthCheck.Verdict verdict = health(wpar, options.healthWait(), steps);
                if (verdict.good()) {
                    outcome = Outcome.HEALTHY;
                } else if (Thread.currentThread().isInterrupted()) {
                    // The agent is stopping: the health wait was cut short, so the checkpoint is not
                    // known to be bad and the WPAR not known to be down. Mark nothing, stop nothing.
                    outcome = Outcome.INTERRUPTED;
                    error = "interrupted after the restart, before the WPAR was healthy: WPAR " + wpar.name()
                            + " may be running from checkpoint " + cp.id();
                } else {
                    markBad(cp, verdict, steps);
                    stopped = stop(wpar, cp, logfile, steps);
                    outcome = stopped ? Outcome.UNHEALTHY : Outcome.UNHEALTHY_NOT_STOPPED;
                    error = "not healthy after the restart: " + verdict.reason()
                            + (stopped ? "" : "; the stop failed, so WPAR " + wpar.name() + " may still be running");
                }
            }
            attempts.add(new Attempt(number, cp, steps, outcome, error));
            if (outcome.started()) {
                return new StartResult(wpar.name(), target, attempts, Optional.of(owner), "");
            }
            if (!stopped) {
                return new StartResult(wpar.name(), target, attempts, Optional.of(owner), "not falling back: WPAR "
                        + wpar.name() + " may still be running from checkpoint " + cp.id()
                        + ", and a restart beside it would fail");
            }
            if (!options.fallback()) {
                return new StartResult(wpar.name(), target, attempts, Optional.of(owner), "no fallback asked for");
            }
            next = new CheckpointSelector.GoodOlderThan(cp.id());
        }
    }

    private void report(List<Step> steps, Step step) {
        steps.add(step);
        listener.step(step);
    }

    /** Restores {@code cp} into {@code target}, which must then hold the statefile directory {@code state}. */
    /**
     * Restores checkpoint {@code id} into {@code target} (replacing what is there) without starting
     * anything, reusing the chunks an earlier restore left there: a relocation's target stages the
     * newest checkpoint this way before the WPAR stops, so that the final restore moves little.
     */
    public Step stage(long id, Path target) throws IOException {
        Checkpoint cp = Checkpoint.of(server.request(new CheckpointSelector.Id(id).request(null)).path("checkpoint"));
        Files.createDirectories(target.toAbsolutePath().getParent());
        return restore(cp, target.toAbsolutePath().normalize(), true, true);
    }

    private Step restore(Checkpoint cp, Path target, boolean replace, boolean reuseLocal) throws IOException {
        long start = System.nanoTime();
        Path dest = TreeWriter.destination(target, null, replace);
        JsonNode parts = server.request(JSON.createObjectNode().put("op", "show").put("id", cp.id())).path("parts");
        List<String> names = new ArrayList<>();
        boolean hasState = false;
        for (JsonNode p : parts) {
            names.add(p.path("name").asText());
            hasState |= p.path("name").asText().equals("state") && p.path("type").asText().equals("directory");
        }
        if (!hasState) {
            throw new RestoreException(RestoreException.Kind.NOT_STARTABLE, "checkpoint " + cp.id()
                    + " has no 'state' directory to restart from (its parts: " + String.join(", ", names.subList(0,
                    Math.min(names.size(), 5))) + (names.size() > 5 ? ", ..." : "") + ")");
        }
        long bytes = cp.json().path("logical_bytes").asLong();
        if (reuseLocal && replace && Files.isDirectory(target) && !TreeWriter.isEmpty(target)) {
            ChunkReuse.LocalChunks local = ChunkReuse.index(target);
            double indexSeconds = since(start).toMillis() / 1000.0;
            TreeWriter w = new TreeWriter(dest, false, replace, listener::restored);
            try {
                ChunkReuse.Stats stats = ChunkReuse.restore(server, cp.id(), cp.json(), parts.size(), local, w);
                w.finish();
                return new Step("restore", since(start), true, size(bytes) + " into " + dest + ": " + size(stats.reused())
                        + " reused from the earlier restore there, " + size(stats.fetched())
                        + " fetched; every part's SHA-256 verified", JSON.createObjectNode().put("to", dest.toString())
                        .put("bytes", bytes).put("reused_bytes", stats.reused()).put("fetched_bytes", stats.fetched())
                        .put("index_seconds", indexSeconds));
            } catch (IOException | RuntimeException e) {
                w.discard();
                if (e instanceof io.ckpt.agent.net.ClientException c && (c.isUnreachable() || c.code() == ErrorCode.CORRUPT)) {
                    throw e;
                }
                // A local chunk that changed, or a server that cannot fetch: restore the whole checkpoint.
                listener.step(new Step("reuse", since(start), false, "chunks of the earlier restore not used: "
                        + e.getMessage() + "; restoring the whole checkpoint", JSON.createObjectNode()));
            }
        }
        TreeWriter w = new TreeWriter(dest, false, replace, listener::restored);
        try {
            server.restore(cp.id(), w);
            w.finish();
        } catch (IOException | RuntimeException e) {
            w.discard();
            throw e;
        }
        return new Step("restore", since(start), true, size(bytes) + " into " + dest + ", every part's SHA-256 verified",
                JSON.createObjectNode().put("to", dest.toString()).put("bytes", bytes).put("fetched_bytes", bytes));
    }

    /** Claims or confirms the WPAR; a refusal (another owner, a moved epoch) ends the run with the server's words. */
    private Owner ownership(String wpar, OwnershipCheck check, List<Step> steps) throws IOException {
        long start = System.nanoTime();
        ObjectNode req = JSON.createObjectNode();
        String name;
        if (check instanceof OwnershipCheck.Claim c) {
            name = "claim";
            req.put("op", "claim").put("wpar", wpar).put("host", hostId).put("take_over", c.takeOver());
        } else {
            name = "confirm";
            req.put("op", "confirm").put("wpar", wpar).put("host", hostId).put("epoch", ((OwnershipCheck.Confirm) check).epoch());
        }
        JsonNode r = server.request(req);
        String previous = r.hasNonNull("previous_owner") ? r.get("previous_owner").asText() : null;
        Owner o = new Owner(wpar, r.path("owner").asText(), r.path("epoch").asLong(),
                name.equals("confirm") ? r.path("owner").asText() : previous, r.path("changed").asBoolean(false));
        String summary = !o.changed() ? "owner " + o.host() + ", epoch " + o.epoch() + (name.equals("claim") ? " (already)" : " (confirmed)")
                : o.previousOwner() == null ? "owner " + o.host() + ", epoch " + o.epoch() + " (claimed; no owner before)"
                : "owner " + o.host() + ", epoch " + o.epoch() + " (taken over from " + o.previousOwner() + ")";
        ObjectNode fields = JSON.createObjectNode().put("owner", o.host()).put("epoch", o.epoch());
        fields.put("previous_owner", o.previousOwner());
        report(steps, new Step(name, since(start), true, summary, fields.put("changed", o.changed())));
        return o;
    }

    /** The health check, repeated every {@link #HEALTH_RETRY} until it passes or {@code wait} is over. */
    private HealthCheck.Verdict health(WparConfig wpar, Duration wait, List<Step> steps) {
        long start = System.nanoTime();
        HealthCheck.Waited w = HealthCheck.await(wpar.health().get(), wpar.name(), wpar.timeouts().health(), wait,
                HEALTH_RETRY);
        HealthCheck.Verdict v = w.verdict();
        String summary = (v.good() ? "good" : v.reason()) + (w.checks() > 1 ? " (" + w.checks() + " checks)" : "");
        report(steps, new Step("health", since(start), v.good(), summary,
                JSON.createObjectNode().put("health", v.health()).put("reason", v.reason()).put("checks", w.checks())));
        return v;
    }

    private void markBad(Checkpoint cp, HealthCheck.Verdict verdict, List<Step> steps) {
        long start = System.nanoTime();
        String reason = new HealthCheck.Verdict("bad", "did not come up healthy when restored and restarted on " + hostId
                + ": " + verdict.reason()).reason();
        try {
            server.request(JSON.createObjectNode().put("op", "mark").put("id", cp.id()).put("health", "bad").put("reason", reason));
            report(steps, new Step("mark-bad", since(start), true, "checkpoint " + cp.id() + " marked bad",
                    JSON.createObjectNode().put("reason", reason)));
        } catch (IOException e) {
            report(steps, new Step("mark-bad", since(start), false, "could not mark checkpoint " + cp.id() + " bad: "
                    + e.getMessage(), JSON.createObjectNode().put("reason", reason)));
        }
    }

    /** Stops what the restart started, if the config says how; returns whether it is stopped. */
    private boolean stop(WparConfig wpar, Checkpoint cp, Path logfile, List<Step> steps) {
        if (wpar.stop().isEmpty()) {
            report(steps, new Step("stop", Duration.ZERO, false, "no stop command in the agent config"
                    + " (wpars[].stop.command): WPAR " + wpar.name() + " may still be running from checkpoint " + cp.id()
                    + "; stop it by hand", JSON.createObjectNode()));
            return false;
        }
        Step s = runCommand("stop", wpar.stop().get().render(Map.of(CommandTemplate.WPAR, wpar.name(),
                CommandTemplate.LOGFILE, logfile.toString())), wpar.timeouts().restart(), logfile);
        report(steps, s);
        return s.ok();
    }

    /** Runs a command of the WPAR's config, its standard output appended to the WPAR's log file. */
    private static Step runCommand(String name, List<String> argv, Duration timeout, Path logfile) {
        long start = System.nanoTime();
        try {
            CommandResult r = CommandRunner.run(argv, timeout, logfile);
            return new Step(name, r.duration(), r.ok(), r.ok() ? "'" + r.command() + "' exited 0" : r.describe(),
                    JSON.createObjectNode().put("command", r.command()).put("exit_code", r.exitCode()).put("timed_out", r.timedOut()));
        } catch (IOException e) {
            String cmd = CommandResult.quote(argv);
            return new Step(name, since(start), false, "'" + cmd + "' could not run: " + e.getMessage(),
                    JSON.createObjectNode().put("command", cmd));
        }
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        return bytes < 1 << 20 ? String.format("%.1f KiB", bytes / 1024.0)
                : bytes < 1L << 30 ? String.format("%.1f MiB", bytes / (double) (1 << 20))
                : String.format("%.1f GiB", bytes / (double) (1L << 30));
    }
}
