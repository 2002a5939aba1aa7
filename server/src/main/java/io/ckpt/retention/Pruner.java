package io.ckpt.retention;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.LabelDao;
import io.ckpt.catalog.Names;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.catalog.WparDao;
import io.ckpt.progress.ProgressListener;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.restore.ReadersInUse;
import io.ckpt.store.Datastore;
import io.ckpt.store.Journal;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a retention policy to the WPARs a glob names: reads each WPAR's checkpoints, asks
 * {@link RetentionPlan} what to keep, and removes the rest from the catalog (with their
 * manifests). Deciding and deleting happen under the lock of {@link ReadersInUse}, so a
 * checkpoint a restore is reading is never removed under it. Every WPAR is planned (and refused,
 * if a plan would remove all of a WPAR without force) before anything is deleted. Each WPAR's plan
 * is made once more inside the transaction that deletes, and only what both plans remove goes, so
 * a protect or mark that lands after the first plan is never overridden (docs/RETENTION.md).
 */
public final class Pruner {
    private static final Logger log = LoggerFactory.getLogger(Pruner.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Catalog catalog;
    private final Datastore ds;
    private final ReadersInUse readers;
    private volatile RetentionConfig config;

    public Pruner(Catalog catalog, Datastore ds, ReadersInUse readers, RetentionConfig config) {
        this.catalog = catalog;
        this.ds = ds;
        this.readers = readers;
        this.config = config;
    }

    /** Replaces the configured policies (a reload); prunes already running finish with the old ones. */
    public void configure(RetentionConfig next) {
        this.config = next;
    }

    /**
     * The scheduled prune: each WPAR that has a configured policy, one at a time, never forced.
     * A WPAR whose plan is refused (it would remove everything) is logged and skipped; any other
     * failure ends the run and is thrown, for the scheduler to log and alert on. Answers like
     * {@link #prune}, with {@code "skipped"} (why) for a WPAR left alone.
     */
    public ObjectNode pruneConfigured() throws IOException {
        RetentionConfig cfg = config;
        ObjectNode out = JSON.createObjectNode().put("dry_run", false);
        var all = out.putArray("wpars");
        for (String wpar : catalog.read(h -> h.attach(WparDao.class).names())) {
            if (cfg.policyFor(wpar).isEmpty()) {
                continue;
            }
            try {
                ObjectNode r = prune(wpar, null, false, false);
                int removed = r.path("wpars").path(0).path("remove").size();
                if (removed > 0) {
                    log.info("scheduled prune: WPAR {}: {} checkpoint(s) removed", wpar, removed);
                }
                r.path("wpars").forEach(all::add);
            } catch (RequestRefusedException e) {
                log.warn("scheduled prune skipped: {}", e.getMessage());
                all.addObject().put("wpar", wpar).put("skipped", e.getMessage());
            }
        }
        return out;
    }

    /** A WPAR's checkpoints as the retention rules see them, read on {@code h}. */
    private static List<Candidate> candidates(org.jdbi.v3.core.Handle h, String wpar, Set<Long> inUse) {
        LabelDao labels = h.attach(LabelDao.class);
        List<Candidate> out = new ArrayList<>();
        for (CheckpointRow r : h.attach(CheckpointDao.class).listAll(wpar)) {
            out.add(new Candidate(r.id(), Instant.ofEpochMilli(r.takenAt()), r.health(),
                    new HashSet<>(labels.of(r.id())), r.isProtected(), !r.isComplete(), inUse.contains(r.id())));
        }
        return out;
    }

    /** Runs between planning and deleting; tests put a protect or mark there. */
    private Runnable betweenPlanAndDelete = () -> {};

    /** For tests: {@code step} runs after every WPAR is planned and before anything is deleted. */
    void betweenPlanAndDelete(Runnable step) {
        this.betweenPlanAndDelete = step;
    }

    /** The policy of a prune request: {@code {"keep-daily": 7, "keep-label": ["a,b", "c"], ...}}. */
    public static RetentionPolicy policyOf(JsonNode policy) throws RequestRefusedException {
        List<Map.Entry<String, String>> options = new ArrayList<>();
        for (var it = policy.fields(); it.hasNext(); ) {
            var f = it.next();
            if (f.getValue().isArray()) {
                f.getValue().forEach(v -> options.add(Map.entry(f.getKey(), v.asText())));
            } else {
                options.add(Map.entry(f.getKey(), f.getValue().asText()));
            }
        }
        try {
            return RetentionPolicy.parse(options);
        } catch (InvalidPolicyException e) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "invalid retention policy: " + e.getMessage());
        }
    }

    /**
     * Runs the prune and returns its report (docs/RETENTION.md, "JSON"). {@code policy} null means
     * each WPAR's configured policy; a WPAR without one is refused (nothing is removed anywhere).
     */
    public ObjectNode prune(String wparGlob, RetentionPolicy policy, boolean dryRun, boolean force) throws IOException {
        return prune(wparGlob, policy, dryRun, force, ProgressListener.NONE);
    }

    /** Like {@link #prune(String, RetentionPolicy, boolean, boolean)}, telling {@code progress} each WPAR planned and pruned. */
    public ObjectNode prune(String wparGlob, RetentionPolicy policy, boolean dryRun, boolean force, ProgressListener progress)
            throws IOException {
        RetentionConfig cfg = config;
        ZoneId zone = cfg.zone();
        Pattern glob = Names.wparGlob(wparGlob);
        List<String> wpars = catalog.read(h -> h.attach(WparDao.class).names()).stream()
                .filter(w -> glob.matcher(w).matches()).toList();
        if (wpars.isEmpty()) {
            throw new NotFoundException(wparGlob == null ? "the datastore holds no WPAR yet: nothing to prune"
                    : "no WPAR matches '" + wparGlob + "'");
        }
        return readers.whileLocked(inUse -> {
            List<String> names = new ArrayList<>();
            List<RetentionPlan> plans = new ArrayList<>();
            List<RetentionPolicy> policies = new ArrayList<>();
            for (String wpar : wpars) {
                // Under the readers lock: a report only stores a value (ProgressListener's contract).
                progress.report("planning", names.size(), wpars.size(), "WPAR " + wpar);
                RetentionPolicy wparPolicy = policy != null ? policy : cfg.policyFor(wpar).orElseThrow(() ->
                        new RequestRefusedException(ErrorCode.BAD_REQUEST, "no retention policy for WPAR " + wpar
                                + ": give keep flags, or set retention.default (or a retention.wpars rule) in the server config"));
                List<Candidate> candidates = catalog.read(h -> candidates(h, wpar, inUse));
                RetentionPlan plan = RetentionPlan.compute(candidates, wparPolicy, zone);
                try {
                    plan.refuseIfRemovesAll(force);
                } catch (PruneRefusedException e) {
                    throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "WPAR " + wpar + ": " + e.getMessage());
                }
                names.add(wpar);
                plans.add(plan);
                policies.add(wparPolicy);
            }
            betweenPlanAndDelete.run();
            ObjectNode out = JSON.createObjectNode().put("dry_run", dryRun);
            ArrayNode arr = out.putArray("wpars");
            for (int i = 0; i < plans.size(); i++) {
                RetentionPlan plan = plans.get(i);
                progress.report(dryRun ? "reporting" : "removing checkpoints", i, plans.size(), "WPAR " + names.get(i));
                List<Long> planned = plan.removed().stream().map(d -> d.candidate().id()).toList();
                List<Long> remove = planned;
                if (!dryRun && !planned.isEmpty()) {
                    String wpar = names.get(i);
                    RetentionPolicy wparPolicy = policies.get(i);
                    // Rows first, all of this WPAR's in one transaction, then the manifests: a crash between
                    // leaves manifests without rows (Recovery deletes them at the next start), never a listed
                    // checkpoint without its manifest. PruneCrashTest kills the server here. The commit is
                    // fsynced: at synchronous=NORMAL a power loss could undo it and keep the unlinks.
                    // The plan is made again inside the transaction (the catalog has one writer at a time, so
                    // no protect, mark or commit can land between this read and the deletes), and only what
                    // both plans remove goes: a protect or mark since the first plan is honoured, and the
                    // fresh plan's keeps (last known good among them) are a subset of what stays.
                    remove = catalog.writeDurably(h -> {
                        RetentionPlan fresh = RetentionPlan.compute(candidates(h, wpar, inUse), wparPolicy, zone);
                        try {
                            fresh.refuseIfRemovesAll(force);
                        } catch (PruneRefusedException e) {
                            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "WPAR " + wpar + ": " + e.getMessage());
                        }
                        Set<Long> stillRemoved = new HashSet<>();
                        fresh.removed().forEach(d -> stillRemoved.add(d.candidate().id()));
                        List<Long> ids = planned.stream().filter(stillRemoved::contains).toList();
                        CheckpointDao dao = h.attach(CheckpointDao.class);
                        ids.forEach(dao::delete);
                        return ids;
                    });
                    if (!remove.isEmpty()) {
                        // Journaled before the unlinks: a rebuild after a cut-off prune must not bring these back.
                        ds.journal().append(Journal.removed(remove, System.currentTimeMillis()));
                    }
                    for (long id : remove) {
                        ds.objects().delete(Datastore.manifestKey(id));
                    }
                    if (remove.size() < planned.size()) {
                        log.warn("prune: WPAR {}: kept {} checkpoint(s) the plan would have removed: protected, marked"
                                + " or otherwise changed while the prune ran", wpar, planned.size() - remove.size());
                    }
                    log.info("prune: WPAR {}: removed {} checkpoint(s) {}, kept {}", wpar, remove.size(), remove,
                            plan.kept().size() + planned.size() - remove.size());
                }
                ObjectNode w = arr.addObject().put("wpar", names.get(i));
                ArrayNode keep = w.putArray("keep");
                for (Decision d : plan.kept()) {
                    ObjectNode k = keep.addObject().put("id", d.candidate().id()).put("taken_at", d.candidate().takenAt().toString());
                    d.reasons().forEach(k.putArray("reasons")::add);
                }
                ArrayNode rem = w.putArray("remove");
                for (Decision d : plan.removed()) {
                    if (remove.contains(d.candidate().id())) {
                        rem.addObject().put("id", d.candidate().id()).put("taken_at", d.candidate().takenAt().toString());
                    } else {
                        keep.addObject().put("id", d.candidate().id()).put("taken_at", d.candidate().takenAt().toString())
                                .putArray("reasons").add("changed during prune");
                    }
                }
            }
            return out;
        });
    }
}
