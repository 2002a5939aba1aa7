package io.ckpt.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.audit.AuditLog.Outcome;
import io.ckpt.jobs.Jobs;
import io.ckpt.protocol.ErrorCode;

/**
 * Which requests and jobs are audited, and what their events say. Queries (list, show, select,
 * status) are not audited; dry runs neither.
 */
public final class AuditEvents {
    private final AuditLog audit;

    public AuditEvents(AuditLog audit) {
        this.audit = audit;
    }

    /** The log these events go to: for events that are not requests (uploads, restores, host credentials). */
    public AuditLog log() {
        return audit;
    }

    /**
     * Records request {@code req} of {@code actor} if it is audited: with its answer, or with
     * the error {@code code}/{@code error} it was refused or failed with (answer null).
     */
    public void request(Actor actor, JsonNode req, JsonNode answer, ErrorCode code, String error) {
        String op = req.path("op").asText("");
        boolean dryRun = req.path("dry_run").asBoolean(false);
        String wpar = req.hasNonNull("wpar") ? req.get("wpar").asText()
                : answer != null && answer.path("checkpoint").has("wpar") ? answer.path("checkpoint").path("wpar").asText() // mark, protect
                : null;
        Long id = req.hasNonNull("id") && req.get("id").canConvertToLong() ? req.get("id").asLong() : null;
        ObjectNode d = AuditLog.details();
        String action;
        switch (op) {
            case "mark" -> {
                action = "mark-" + req.path("health").asText("?");
                d.put("reason", req.path("reason").asText(""));
            }
            case "protect" -> action = req.path("protected").asBoolean(true) ? "protect" : "unprotect";
            case "prune" -> {
                if (dryRun) {
                    return;
                }
                action = "prune";
                d.put("force", req.path("force").asBoolean(false)).put("policy",
                        req.hasNonNull("policy") ? "keep flags" : "configured");
                if (req.hasNonNull("policy")) {
                    d.set("keep", req.get("policy"));
                }
                if (answer != null) {
                    d.set("removed", removed(answer));
                }
            }
            case "gc" -> {
                if (dryRun) {
                    return;
                }
                action = "gc";
                summary(d, answer, "chunks_removed", "bytes_removed", "packs_compacted", "packs_deleted", "bytes_freed");
            }
            case "verify" -> {
                action = "verify";
                d.put("full", req.path("full").asBoolean(false));
                summary(d, answer, "packs_checked", "chunks_checked", "damaged_chunks");
                if (answer != null) {
                    ArrayNode ids = d.putArray("damaged_checkpoints");
                    answer.path("damaged_checkpoints").forEach(c -> ids.add(c.path("id").asLong()));
                }
            }
            case "claim" -> {
                if (answer != null && !answer.path("changed").asBoolean(false)) {
                    return; // the owner claiming what it owns already
                }
                action = "ownership.claim";
                d.put("to", req.path("host").asText()).put("take_over", req.path("take_over").asBoolean(false));
                if (answer != null) {
                    d.put("from", answer.path("previous_owner").asText(null)).put("epoch", answer.path("epoch").asLong());
                }
            }
            case "relocate" -> {
                action = "relocate";
                d.put("to", req.path("to").asText());
                moveResult(d, answer);
            }
            case "failover" -> {
                action = "failover";
                d.put("from", req.path("from").asText()).put("to", req.path("to").asText(null))
                        .put("point", req.path("point").asText("lkg")).put("force", req.path("force").asBoolean(false));
                moveResult(d, answer);
            }
            case "rebalance" -> {
                action = "rebalance";
                moveResult(d, answer);
            }
            default -> {
                return;
            }
        }
        Outcome outcome;
        if (answer == null) {
            outcome = outcomeOf(code);
            d.put("error", error);
        } else {
            outcome = answer.has("ok") && !answer.path("ok").asBoolean() ? Outcome.FAILED : Outcome.OK;
        }
        audit.record(actor, action, wpar, id, outcome, d);
    }

    /** Records a scheduled prune, gc or verify that ended (requested ones are recorded by {@link #request}). */
    public void job(Jobs.Job job) {
        if (job.trigger() != Jobs.Trigger.SCHEDULE) {
            return;
        }
        ObjectNode d = AuditLog.details().put("scheduled", true).put("detail", job.detail());
        JsonNode r = job.result();
        if (!job.ok()) {
            d.put("error", r == null ? "" : r.path("error").asText());
        } else if (job.kind().equals("prune")) {
            d.set("removed", removed(r));
        } else {
            summary(d, r, "chunks_removed", "bytes_freed", "packs_checked", "damaged_chunks");
        }
        audit.record(Actor.SERVER, job.kind(), null, null, job.ok() ? Outcome.OK : Outcome.FAILED, d);
    }

    /** An automatic failover the server started because {@code host}'s lease ran out. */
    public void automaticFailover(String host, JsonNode result, String error) {
        ObjectNode d = AuditLog.details().put("from", host).put("automatic", true);
        if (error != null) {
            d.put("error", error);
        } else {
            moveResult(d, result);
        }
        audit.record(Actor.SERVER, "failover", null, null,
                error == null && result.path("ok").asBoolean(false) ? Outcome.OK : Outcome.FAILED, d);
    }

    /**
     * A change of a host's credentials ({@code ckpt host add|revoke}): {@code change} is
     * {@code add} or {@code revoke}, recorded as {@code host.add} / {@code host.revoke} on host
     * {@code hostId}; {@code error} null when it was done, else why it was refused. Never
     * records secrets: pass none in {@code details}.
     */
    public void hostCredentials(Actor actor, String change, String hostId, String error, ObjectNode details) {
        ObjectNode d = details == null ? AuditLog.details() : details.deepCopy();
        d.put("host", hostId);
        if (error != null) {
            d.put("error", error);
        }
        audit.record(actor, "host." + change, null, null, error == null ? Outcome.OK : Outcome.REFUSED, d);
    }

    /** REFUSED for what the request asked wrongly or at a wrong time, FAILED for what went wrong doing it. */
    public static Outcome outcomeOf(ErrorCode code) {
        return switch (code) {
            case BAD_REQUEST, NOT_FOUND, CONFLICT, UNSUPPORTED_VERSION, REFUSED, FENCED -> Outcome.REFUSED;
            default -> Outcome.FAILED;
        };
    }

    /** {@code [{"wpar", "ids": [...]}]} for each WPAR a prune removed checkpoints of. */
    private static ArrayNode removed(JsonNode pruneAnswer) {
        ArrayNode out = AuditLog.array();
        if (pruneAnswer == null) {
            return out;
        }
        for (JsonNode w : pruneAnswer.path("wpars")) {
            if (w.path("remove").isEmpty()) {
                continue;
            }
            ArrayNode ids = out.addObject().put("wpar", w.path("wpar").asText()).putArray("ids");
            w.path("remove").forEach(r -> ids.add(r.path("id").asLong()));
        }
        return out;
    }

    private static void summary(ObjectNode d, JsonNode answer, String... fields) {
        if (answer == null) {
            return;
        }
        for (String f : fields) {
            if (answer.has(f)) {
                d.set(f, answer.get(f));
            }
        }
    }

    private static void moveResult(ObjectNode d, JsonNode answer) {
        if (answer == null) {
            return;
        }
        d.put("ok", answer.path("ok").asBoolean(false));
        if (answer.has("from") && !d.has("from")) {
            d.put("from", answer.path("from").asText());
        }
        JsonNode list = answer.has("moves") ? answer.get("moves") : answer.get("wpars"); // rebalance, failover
        if (list != null && list.isArray()) {
            ArrayNode moves = d.putArray("moves");
            for (JsonNode m : list) {
                moves.addObject().put("wpar", m.path("wpar").asText()).put("from", m.path("from").asText(null))
                        .put("to", m.path("to").asText(null)).put("ok", m.path("ok").asBoolean(false));
            }
        }
    }
}
