package io.ckpt.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.audit.AuditEvents;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.catalog.WparDao;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.restore.Selection;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves WPARs between hosts through their agents: a planned relocation (final checkpoint on the
 * source, ownership to the target, restore and start there), an unplanned failover (ownership
 * to a backup host, which starts the last known good checkpoint), and a rebalance back to the
 * primaries. Each answer is a report of steps with their durations.
 *
 * <p>Nothing is half moved: ownership changes only after the source stopped the WPAR (or is
 * down), and a target that fails to start it (and says that nothing of it runs) hands ownership
 * back to the source, which restarts it from the final checkpoint.
 *
 * <p>Never two copies (issue 20, defect 1): a start task answers {@code state} started,
 * not_started or unknown (a restart killed by its timeout, an unhealthy start that could not be
 * stopped, an agent interrupted after the restart); no answer at all (the agent died, the step
 * timed out) counts as unknown too. While a WPAR's state on a host is unknown the WPAR stays
 * owned by that host, is not restarted on the source, and is not failed over (manually or
 * automatically) without {@code force}; {@code ckpt hosts} shows it. A relocation away from it
 * is allowed: its final checkpoint either stops the WPAR (state known again) or fails (nothing
 * moves). The unknown states are kept in memory: a server restart forgets them (docs/RELOCATION.md).
 */
public final class Mover implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Mover.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest a final checkpoint or a restore-and-start may take before the move gives up. */
    static final Duration DEFAULT_STEP_TIMEOUT = Duration.ofMinutes(30);

    private final Catalog catalog;
    private final Ownership ownership;
    private final Hosts hosts;
    private final Supplier<Placement> placement;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "failover-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final AuditEvents audit; // null: not audited (tests)

    /** A WPAR whose state on {@code host} is unknown: it may run there. */
    public record Unknown(String host, String reason, java.time.Instant since) {}

    /** WPARs that may run on a host without it being known, by name; cleared by a start or final checkpoint that answers. */
    private final java.util.Map<String, Unknown> unknown = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Set<String> warnedUnknown = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private void known(String wpar) {
        unknown.remove(wpar);
        warnedUnknown.remove(wpar);
    }

    /** Whether {@code wpar} may run on a host without that being known (shown by {@code ckpt hosts}). */
    public Optional<Unknown> unknownState(String wpar) {
        return Optional.ofNullable(unknown.get(wpar));
    }

    public Mover(Catalog catalog, Ownership ownership, Hosts hosts, Supplier<Placement> placement) {
        this(catalog, ownership, hosts, placement, null);
    }

    /** With {@code audit}, which records each automatic failover. */
    public Mover(Catalog catalog, Ownership ownership, Hosts hosts, Supplier<Placement> placement,
            AuditEvents audit) {
        this.audit = audit;
        this.catalog = catalog;
        this.ownership = ownership;
        this.hosts = hosts;
        this.placement = placement;
        watchdog.scheduleWithFixedDelay(this::automaticFailover, 1, 1, TimeUnit.SECONDS);
    }

    /** A report under construction: steps with their durations. */
    private static final class Report {
        final ObjectNode root = JSON.createObjectNode();
        final ArrayNode steps = root.putArray("steps");
        final long t0 = System.nanoTime();

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
    }

    // --- relocation -------------------------------------------------------------------------

    /**
     * Planned move of {@code wpar} to {@code target}: the owning agent takes a final checkpoint
     * that stops the WPAR, ownership moves, the target restores and starts it. Downtime is from
     * the final checkpoint's start to the target reporting it healthy.
     */
    public ObjectNode relocate(String wpar, String target, Duration stepTimeout) throws IOException {
        WparDao.Owner owner = ownership.owner(wpar).orElseThrow(() -> new NotFoundException("unknown WPAR '" + wpar + "'"));
        String source = owner.ownerHost();
        if (source == null) {
            throw new RequestRefusedException(ErrorCode.CONFLICT, "WPAR " + wpar + " has no owning host yet (no agent uploaded it)");
        }
        if (source.equals(target)) {
            throw new RequestRefusedException(ErrorCode.CONFLICT, "WPAR " + wpar + " already runs on " + target);
        }
        requireLive(source, "source", "if it is down, use 'ckpt failover --from " + source + "'");
        requireLive(target, "target", "start the agent there");
        Report r = new Report();
        r.root.put("wpar", wpar).put("from", source).put("to", target).put("epoch_before", owner.epoch());
        log.info("relocation of {} from {} to {} begins", wpar, source, target);

        // Pre-copy: the target stages the newest checkpoint while the WPAR still runs, so that the
        // restore during the downtime fetches only what the final checkpoint changed.
        long t = System.nanoTime();
        Optional<CheckpointRow> newest = Selection.newest(catalog.read(h -> h.attach(CheckpointDao.class).listComplete(wpar)));
        if (newest.isPresent()) {
            JsonNode staged = await(target, task("prestage", wpar).put("checkpoint", newest.get().id()), stepTimeout);
            ObjectNode s0 = r.step("pre-stage checkpoint " + newest.get().id() + " (WPAR still running)", target, t,
                    ok(staged), detail(staged));
            copyTimes(staged, s0);
            r.root.put("prestage_seconds", (System.nanoTime() - t) / 1e9);
        }

        long down = System.nanoTime();
        t = down;
        JsonNode fin = await(source, task("final_checkpoint", wpar).put("epoch", owner.epoch()), stepTimeout);
        r.step("final checkpoint (WPAR stopped)", source, t, ok(fin), detail(fin));
        if (!ok(fin)) {
            // Nothing moved: ownership stays with the source. What runs there depends on how far the
            // final checkpoint got (issue 20, defect 6): the agent says so in wpar_state.
            String ws = fin.path("wpar_state").asText("");
            r.root.put("wpar_state", ws.isEmpty() ? "unknown" : ws);
            switch (ws) {
                case "running" -> r.root.put("result", "final checkpoint failed on " + source + " (" + detail(fin) + "); "
                        + wpar + " was restarted there from it and stays there, owned by it");
                case "stopped" -> r.root.put("result", "final checkpoint failed on " + source + ": " + wpar + " is STOPPED there,"
                        + " owned by it (" + detail(fin) + "). Start it there ('ckpt restore --wpar " + wpar
                        + " --latest --start' on " + source + ") or, once its spooled final checkpoint is uploaded, relocate it");
                default -> {
                    if (detail(fin).startsWith("no answer from") || detail(fin).isEmpty()) {
                        unknown.put(wpar, new Unknown(source, "final checkpoint unanswered: " + detail(fin), java.time.Instant.now()));
                        r.root.put("result", "final checkpoint on " + source + " did not answer (" + detail(fin) + "): " + wpar
                                + " may be running or stopped there, state unknown; it stays owned by " + source);
                    } else {
                        r.root.put("wpar_state", "not_stopped");
                        r.root.put("result", "final checkpoint failed on " + source + " (" + detail(fin)
                                + "); it did not stop the WPAR as far as the agent knows: it stays there, owned by it");
                    }
                }
            }
            return r.done(false);
        }
        known(wpar); // stopped by its final checkpoint: its state is known again
        long checkpointId = fin.path("checkpoint").asLong();
        r.root.put("checkpoint", checkpointId);
        r.root.put("final_checkpoint_seconds", (System.nanoTime() - t) / 1e9);

        t = System.nanoTime();
        Ownership.Owner moved = ownership.transfer(wpar, target, owner.epoch());
        r.step("ownership to " + target + " (epoch " + moved.epoch() + ")", "server", t, true, null);

        t = System.nanoTime();
        JsonNode start = await(target, task("start", wpar).put("checkpoint", checkpointId).put("epoch", moved.epoch()),
                stepTimeout);
        ObjectNode s = r.step("restore and start", target, t, ok(start), detail(start));
        copyTimes(start, s);
        String state = state(start);
        r.root.put("state", state);
        if (ok(start)) {
            known(wpar);
            double downtime = (System.nanoTime() - down) / 1e9;
            r.root.put("downtime_seconds", downtime);
            r.root.put("transfer_seconds", start.path("restore_seconds").asDouble(0));
            r.root.put("reused_bytes", start.path("reused_bytes").asLong(0));
            r.root.put("fetched_bytes", start.path("fetched_bytes").asLong(0));
            r.root.put("epoch", moved.epoch());
            r.root.put("result", wpar + " runs on " + target);
            log.info("relocation of {} to {} done: down {} s", wpar, target, String.format("%.2f", downtime));
            return r.done(true);
        }
        if (!state.equals("not_started")) {
            // It may run on the target: starting it on the source could make two copies.
            unknown.put(wpar, new Unknown(target, detail(start), java.time.Instant.now()));
            r.root.put("epoch", moved.epoch());
            r.root.put("result", wpar + ": state on " + target + " unknown (" + detail(start) + "); it may be running there,"
                    + " so it was not restarted on " + source + " and stays owned by " + target + " (epoch " + moved.epoch()
                    + "). Check " + target + ": if it runs there, leave it or relocate it; if it does not, 'ckpt failover --from "
                    + target + " --force' starts it elsewhere");
            log.error("relocation of {} to {}: {}", wpar, target, r.root.path("result").asText());
            return r.done(false);
        }
        // The target could not start it and nothing of it runs there: back to the source, which restarts from the final checkpoint.
        t = System.nanoTime();
        Ownership.Owner back = ownership.transfer(wpar, source, moved.epoch());
        r.step("ownership back to " + source + " (epoch " + back.epoch() + ")", "server", t, true, null);
        t = System.nanoTime();
        JsonNode restart = await(source, task("start", wpar).put("checkpoint", checkpointId).put("epoch", back.epoch()),
                stepTimeout);
        copyTimes(restart, r.step("restart on the source", source, t, ok(restart), detail(restart)));
        r.root.put("epoch", back.epoch());
        String backState = state(restart);
        r.root.put("state", backState);
        if (ok(restart)) {
            known(wpar);
        } else if (!backState.equals("not_started")) {
            unknown.put(wpar, new Unknown(source, detail(restart), java.time.Instant.now()));
            r.root.put("result", "target failed; the restart on " + source + " did not answer clearly (" + detail(restart)
                    + "): " + wpar + " may be running there, state unknown, owned by " + source + " (epoch " + back.epoch() + ")");
            return r.done(false);
        }
        r.root.put("result", ok(restart)
                ? "target failed; " + wpar + " restarted on " + source + " from the final checkpoint"
                : "target failed and the source could not restart it: " + wpar + " is down, owned by " + source
                        + "; restart it there with 'ckpt restore --wpar " + wpar + " --id " + checkpointId + " --start'");
        if (ok(restart)) {
            r.root.put("downtime_seconds", (System.nanoTime() - down) / 1e9);
        }
        return r.done(false);
    }

    // --- failover ---------------------------------------------------------------------------

    /**
     * Unplanned move of every WPAR that {@code from} owns: each goes to {@code to} (or its
     * placement's first live backup, or another live host whose agent configures it), which
     * starts its last known good checkpoint ({@code point} "lkg") or newest one ("latest").
     * Refused while {@code from} is live unless {@code force}: a live owner must be relocated.
     */
    public ObjectNode failover(String from, String to, String point, boolean force, Duration stepTimeout) throws IOException {
        if (!"lkg".equals(point) && !"latest".equals(point)) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "failover point must be lkg or latest, not '" + point + "'");
        }
        if (hosts.isLive(from) && !force) {
            throw new RequestRefusedException(ErrorCode.CONFLICT, "host " + from + " is live (its agent polled within "
                    + hosts.lease().toSeconds() + " s): relocate its WPARs instead, or give --force if it is hung");
        }
        List<WparDao.Owner> owned = catalog.read(h -> h.attach(WparDao.class).owners()).stream()
                .filter(o -> from.equals(o.ownerHost())).toList();
        ObjectNode root = JSON.createObjectNode().put("from", from).put("point", point);
        ArrayNode moves = root.putArray("wpars");
        boolean allOk = true;
        for (WparDao.Owner o : owned) {
            ObjectNode m;
            try {
                m = failoverOne(o, to, point, force, stepTimeout);
            } catch (IOException | RuntimeException e) {
                m = JSON.createObjectNode().put("wpar", o.name()).put("ok", false).put("result", e.getMessage());
            }
            allOk &= m.path("ok").asBoolean();
            moves.add(m);
        }
        if (owned.isEmpty()) {
            root.put("result", "host " + from + " owns no WPAR");
        }
        return root.put("ok", allOk);
    }

    private ObjectNode failoverOne(WparDao.Owner o, String to, String point, boolean force, Duration stepTimeout)
            throws IOException {
        String wpar = o.name();
        Unknown u = unknown.get(wpar);
        if (u != null && !force) {
            throw new RequestRefusedException(ErrorCode.CONFLICT, "WPAR " + wpar + ": its state on " + u.host() + " is unknown since "
                    + u.since() + " (" + u.reason() + "); it may be running there. Not started elsewhere: check " + u.host()
                    + ", stop it there if it runs, then give --force");
        }
        if (u != null) {
            log.warn("failover of {} with --force although its state on {} is unknown ({})", wpar, u.host(), u.reason());
        }
        String target = to != null ? to : chooseTarget(wpar, o.ownerHost())
                .orElseThrow(() -> new RequestRefusedException(ErrorCode.CONFLICT, "no live backup host for " + wpar
                        + " (placement names none live, and no other live agent configures it): give --to"));
        requireLive(target, "target", "start the agent there");
        List<CheckpointRow> rows = catalog.read(h -> h.attach(CheckpointDao.class).listComplete(wpar));
        CheckpointRow c = ("lkg".equals(point) ? Selection.lastKnownGood(rows) : Selection.newest(rows))
                .orElseThrow(() -> new NotFoundException("WPAR " + wpar + " has no "
                        + ("lkg".equals(point) ? "checkpoint marked good" : "complete checkpoint")));
        Report r = new Report();
        r.root.put("wpar", wpar).put("from", o.ownerHost()).put("to", target).put("checkpoint", c.id())
                .put("taken_at", java.time.Instant.ofEpochMilli(c.takenAt()).toString());
        long t = System.nanoTime();
        Ownership.Owner moved = ownership.transfer(wpar, target, o.epoch());
        r.step("ownership to " + target + " (epoch " + moved.epoch() + ")", "server", t, true, null);
        t = System.nanoTime();
        // After a crash the LKG itself may not come up: let the target fall back to an older good one.
        JsonNode start = await(target, task("start", wpar).put("checkpoint", c.id()).put("epoch", moved.epoch())
                .put("fallback", true), stepTimeout);
        copyTimes(start, r.step("restore and start", target, t, ok(start), detail(start)));
        r.root.put("epoch", moved.epoch());
        String state = state(start);
        r.root.put("state", state);
        if (ok(start) || state.equals("not_started")) {
            known(wpar); // known again: runs on the target, or runs nowhere we moved it to
        } else {
            unknown.put(wpar, new Unknown(target, detail(start), java.time.Instant.now()));
        }
        r.root.put("result", ok(start) ? wpar + " runs on " + target
                : state.equals("not_started") ? wpar + " is owned by " + target + " but did not start there: " + detail(start)
                : wpar + " is owned by " + target + "; its state there is unknown (" + detail(start) + "): it may be running");
        return r.done(ok(start));
    }

    private Optional<String> chooseTarget(String wpar, String failed) {
        Optional<Placement.Rule> rule = placement.get().ruleFor(wpar);
        List<String> candidates = new ArrayList<>();
        rule.ifPresent(ru -> {
            candidates.add(ru.primary());
            candidates.addAll(ru.backups());
        });
        candidates.addAll(hosts.hostsConfiguring(wpar));
        return candidates.stream().filter(h -> !h.equals(failed) && hosts.isLive(h)).findFirst();
    }

    // --- rebalance --------------------------------------------------------------------------

    /** Relocates every WPAR whose placement names a live primary it is not running on. */
    public ObjectNode rebalance(Duration stepTimeout) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode moves = root.putArray("moves");
        boolean allOk = true;
        for (WparDao.Owner o : catalog.read(h -> h.attach(WparDao.class).owners())) {
            Optional<Placement.Rule> rule = placement.get().ruleFor(o.name());
            if (rule.isEmpty() || o.ownerHost() == null || rule.get().primary().equals(o.ownerHost())) {
                continue;
            }
            String primary = rule.get().primary();
            if (!hosts.isLive(primary) || !hosts.isLive(o.ownerHost())) {
                moves.addObject().put("wpar", o.name()).put("ok", false).put("result", "not moved: "
                        + (hosts.isLive(primary) ? o.ownerHost() : primary) + " is not live");
                allOk = false;
                continue;
            }
            ObjectNode m;
            try {
                m = relocate(o.name(), primary, stepTimeout);
            } catch (IOException | RuntimeException e) {
                m = JSON.createObjectNode().put("wpar", o.name()).put("ok", false).put("result", e.getMessage());
            }
            allOk &= m.path("ok").asBoolean();
            moves.add(m);
        }
        return root.put("ok", allOk);
    }

    // --- automatic failover -----------------------------------------------------------------

    private void automaticFailover() {
        Placement p = placement.get();
        if (!p.automaticFailover()) {
            return;
        }
        try {
            for (WparDao.Owner o : catalog.read(h -> h.attach(WparDao.class).owners())) {
                String host = o.ownerHost();
                if (host == null || hosts.isLive(host) || !hosts.wasSeen(host)) {
                    continue;
                }
                Unknown u = unknown.get(o.name());
                if (u != null) {
                    if (warnedUnknown.add(o.name())) {
                        log.error("host {} is silent, but WPAR {} is not failed over automatically: its state on {} is unknown"
                                + " ({}); check it, then 'ckpt failover --from {} --force'", host, o.name(), u.host(), u.reason(), host);
                    }
                    continue;
                }
                log.warn("host {} silent for more than {} s: failing over its WPARs", host, p.lease().toSeconds());
                ObjectNode r;
                try {
                    r = failover(host, null, "lkg", false, DEFAULT_STEP_TIMEOUT);
                } catch (IOException | RuntimeException e) {
                    if (audit != null) {
                        audit.automaticFailover(host, null, e.getMessage());
                    }
                    throw e;
                }
                log.warn("automatic failover from {}: {}", host, r);
                if (audit != null) {
                    audit.automaticFailover(host, r, null);
                }
                return; // owners changed: look again on the next tick
            }
        } catch (IOException | RuntimeException e) {
            log.error("automatic failover check failed: {}", e.getMessage());
        }
    }

    // --- helpers ----------------------------------------------------------------------------

    private void requireLive(String host, String role, String hint) throws RequestRefusedException {
        if (!hosts.isLive(host)) {
            throw new RequestRefusedException(ErrorCode.CONFLICT, role + " host " + host + " has no live agent (no poll within "
                    + hosts.lease().toSeconds() + " s): " + hint);
        }
    }

    private static ObjectNode task(String type, String wpar) {
        return JSON.createObjectNode().put("type", type).put("wpar", wpar);
    }

    private JsonNode await(String host, ObjectNode task, Duration timeout) {
        CompletableFuture<JsonNode> f = hosts.submit(host, task);
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            hosts.cancelQueued(host, task.path("id").asLong());
            f.cancel(false);
            return JSON.createObjectNode().put("ok", false).put("detail", "no answer from " + host + " within "
                    + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            return JSON.createObjectNode().put("ok", false).put("detail", String.valueOf(e.getCause().getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return JSON.createObjectNode().put("ok", false).put("detail", "interrupted");
        }
    }

    /**
     * What a start task left running: its {@code state}; without one (no answer in time, the agent
     * gone, an agent too old to say) "unknown" unless it succeeded.
     */
    private static String state(JsonNode result) {
        String s = result.path("state").asText("");
        if (s.equals("started") || s.equals("not_started") || s.equals("unknown")) {
            return s;
        }
        return ok(result) ? "started" : "unknown";
    }

    private static boolean ok(JsonNode result) {
        return result.path("ok").asBoolean(false);
    }

    private static String detail(JsonNode result) {
        return result.path("detail").asText("");
    }

    private static void copyTimes(JsonNode from, ObjectNode to) {
        for (String k : new String[] {"restore_seconds", "start_seconds", "health_seconds", "checkpoint", "reused_bytes",
                "fetched_bytes"}) {
            if (from.has(k)) {
                to.set(k, from.get(k));
            }
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }
}
