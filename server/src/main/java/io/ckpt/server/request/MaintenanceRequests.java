package io.ckpt.server.request;

import static io.ckpt.query.CatalogQueries.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.gc.GarbageCollector;
import io.ckpt.jobs.Jobs;
import io.ckpt.progress.ProgressListener;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.retention.Pruner;
import io.ckpt.retention.RetentionPolicy;
import io.ckpt.verify.Verifier;
import java.io.IOException;

/**
 * The maintenance requests an admin sends: {@code prune} (retention), {@code gc} and
 * {@code verify}. Each real run (not a dry run) is recorded in {@link Jobs} like a scheduled one,
 * so the status API, the metrics and the audit log see it; each tells {@code progress} how far
 * it has come (progress notices, issue 21). A server built without one of them answers
 * BAD_REQUEST naming it.
 */
public final class MaintenanceRequests {
    private final Pruner pruner;
    private final Verifier verifier;
    private final GarbageCollector gc;
    private final Jobs jobs;

    public MaintenanceRequests(Pruner pruner, Verifier verifier, GarbageCollector gc, Jobs jobs) {
        this.pruner = pruner;
        this.verifier = verifier;
        this.gc = gc;
        this.jobs = jobs;
    }

    /** Answers {@code req} (op prune, gc or verify). */
    public ObjectNode handle(JsonNode req, ProgressListener progress) throws IOException {
        String op = req.path("op").asText("");
        return switch (op) {
            case "prune" -> prune(req, progress);
            case "gc" -> {
                require(gc, "gc");
                boolean dryRun = req.path("dry_run").asBoolean(false);
                yield dryRun ? gc.collect(true, progress)
                        : jobs.run("gc", "", Jobs.Trigger.REQUEST, () -> gc.collect(false, progress));
            }
            case "verify" -> {
                require(verifier, "verify");
                String wpar = text(req, "wpar");
                boolean full = req.path("full").asBoolean(false);
                yield jobs.run("verify", (full ? "--full " : "") + (wpar == null ? "" : wpar).trim(),
                        Jobs.Trigger.REQUEST, () -> verifier.verify(wpar, full, progress));
            }
            default -> throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "not a maintenance request: '" + op + "'");
        };
    }

    private ObjectNode prune(JsonNode req, ProgressListener progress) throws IOException {
        require(pruner, "prune");
        RetentionPolicy policy = req.hasNonNull("policy")
                ? Pruner.policyOf(req.get("policy")) : null; // null: the configured policies
        String wpar = text(req, "wpar");
        boolean force = req.path("force").asBoolean(false);
        if (req.path("dry_run").asBoolean(false)) {
            return pruner.prune(wpar, policy, true, force, progress);
        }
        return jobs.run("prune", (wpar == null ? "*" : wpar) + (policy == null ? " (configured policies)" : " (keep flags)"),
                Jobs.Trigger.REQUEST, () -> pruner.prune(wpar, policy, false, force, progress));
    }

    private static void require(Object service, String op) throws RequestRefusedException {
        if (service == null) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, op + " is not available on this server");
        }
    }
}
