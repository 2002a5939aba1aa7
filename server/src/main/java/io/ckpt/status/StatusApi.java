package io.ckpt.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.control.Placement;
import io.ckpt.jobs.Jobs;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.query.CatalogQueries;
import io.ckpt.retention.Pruner;
import io.ckpt.retention.RetentionConfig;
import io.ckpt.security.Access;
import io.ckpt.security.Principal;
import io.ckpt.security.Role;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * The JSON status API, {@code GET /api/v1/...} (docs/API.md). Where the CLI has the same view
 * ({@code ckpt list --json}, {@code show}, {@code hosts}, {@code alerts}) the answer is the very
 * same JSON, made by the same request handlers.
 */
public final class StatusApi {
    private static final ObjectMapper JSON = CatalogQueries.mapper();

    /** An answer: HTTP status and JSON body. */
    public record Answer(int status, String json) {}

    /**
     * Answers a read as the request table declares it ({@code RequestDispatcher.read}): the same
     * op, access rule and handler as over the protocol, for {@code viewer}.
     */
    @FunctionalInterface
    public interface Reads {
        String answer(Principal viewer, ObjectNode request) throws Exception;
    }

    private final Catalog catalog;
    private final Reads reads;
    private final Pruner pruner;
    private final Supplier<RetentionConfig> config;
    private final Jobs jobs;
    private final UsageHistory usage;
    private final ServerMetrics metrics;
    private final Clock clock;
    /** Who holds a bearer token (empty: nobody); null when the server has no credentials. */
    private final Function<String, Optional<Principal>> bearers;
    private final Access access;

    /**
     * {@code bearers} says who holds a bearer token; a request with the token of a host or
     * read-only credential is answered as that credential sees the catalog, its own tenant's WPARs
     * and checkpoints only (docs/SECURITY.md, "Tenants"), as the protocol's list, show and hosts
     * are; admin, and a request without a token (allowed on loopback only), see everything.
     */
    public StatusApi(Catalog catalog, Reads reads, Pruner pruner, Supplier<RetentionConfig> config, Jobs jobs,
            UsageHistory usage, ServerMetrics metrics, Clock clock, Function<String, Optional<Principal>> bearers,
            Access access) {
        this.catalog = catalog;
        this.reads = reads;
        this.pruner = pruner;
        this.config = config;
        this.jobs = jobs;
        this.usage = usage;
        this.metrics = metrics;
        this.clock = clock;
        this.bearers = bearers;
        this.access = access;
    }

    /** Answers {@code GET /api/v1/<path>} with the query parameters {@code params}; never throws. */
    public Answer get(String path, Map<String, List<String>> params) {
        return get(path, params, "");
    }

    /**
     * Like {@link #get(String, Map)}, for the holder of bearer token {@code token} ("" for none):
     * a host or read-only credential sees its tenant only; jobs, whose details name any tenant's
     * WPARs, are for admin.
     */
    public Answer get(String path, Map<String, List<String>> params, String token) {
        Principal p = token.isEmpty() || bearers == null ? null : bearers.apply(token).orElse(null);
        Principal viewer = p == null || p.role() == Role.ADMIN ? null : p;
        Principal asker = p != null ? p : Principal.local("http");
        try {
            String json = switch (path) {
                case "wpars" -> JSON.writeValueAsString(wpars(viewer));
                case "checkpoints" -> reads.answer(asker, JSON.createObjectNode().put("op", "list")
                        .put("all", flag(params, "all")).put("wpar", param(params, "wpar")));
                case "hosts", "alerts", "load" -> reads.answer(asker, JSON.createObjectNode().put("op", path));
                case "jobs" -> {
                    if (viewer != null) {
                        throw new NotFoundException("/api/v1/jobs is for admin credentials: job details name every tenant's WPARs");
                    }
                    yield JSON.writeValueAsString(jobs.json());
                }
                case "usage" -> JSON.writeValueAsString(usage.json());
                default -> {
                    if (path.startsWith("checkpoints/")) {
                        String id = path.substring("checkpoints/".length());
                        if (!id.matches("[0-9]{1,18}")) {
                            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "'" + id + "' is not a checkpoint id");
                        }
                        yield reads.answer(asker, JSON.createObjectNode().put("op", "show").put("id", Long.parseLong(id)));
                    }
                    throw new NotFoundException("no API resource /api/v1/" + path + " (see docs/API.md)");
                }
            };
            return new Answer(200, json);
        } catch (NotFoundException e) {
            return error(404, e.getMessage());
        } catch (RequestRefusedException e) {
            return error(e.code() == ErrorCode.BAD_REQUEST ? 400 : e.code() == ErrorCode.NOT_FOUND ? 404 : 500,
                    e.getMessage());
        } catch (Exception e) {
            LoggerFactory.getLogger(StatusApi.class).error("GET /api/v1/{} failed", path, e);
            return error(500, "server error: " + e.getMessage() + " (details in the server log)");
        }
    }

    private static Answer error(int status, String message) {
        return new Answer(status, JSON.createObjectNode().put("error", message).toString());
    }

    /**
     * {@code {"wpars": [...]}}: per WPAR its owner and epoch, placement, counts, newest and last
     * known good checkpoints, ages, last upload error, and what retention would remove next.
     */
    ObjectNode wpars() throws IOException {
        return wpars(null);
    }

    /** Like {@link #wpars()}, only the WPARs {@code viewer} may see (null: all). */
    ObjectNode wpars(Principal viewer) throws IOException {
        long now = clock.millis();
        RetentionConfig cfg = config.get();
        Map<String, ServerMetrics.LastError> errors = metrics.lastErrors();
        ObjectNode root = JSON.createObjectNode();
        ArrayNode arr = root.putArray("wpars");
        for (WparStatus w : WparStatus.read(catalog)) {
            if (viewer != null && !access.sees(viewer, w.name())) {
                continue;
            }
            ObjectNode o = arr.addObject().put("wpar", w.name());
            o.put("owner", w.owner());
            o.put("epoch", w.epoch());
            var rule = cfg.placement().ruleFor(w.name());
            o.put("primary", rule.map(Placement.Rule::primary).orElse(null));
            ArrayNode backups = o.putArray("backups");
            rule.ifPresent(r -> r.backups().forEach(backups::add));
            o.put("checkpoints", w.complete()).put("uploading", w.uploading());
            o.put("logical_bytes", w.logicalBytes()).put("stored_bytes", w.storedBytes());
            o.set("last_checkpoint", brief(w.last()));
            o.set("lkg", brief(w.lkg()));
            putAge(o, "checkpoint_age_seconds", w.last(), now);
            putAge(o, "lkg_age_seconds", w.lkg(), now);
            if (w.intervalMillis() > 0) {
                o.put("interval_seconds", w.intervalMillis() / 1000.0);
            } else {
                o.putNull("interval_seconds");
            }
            ServerMetrics.LastError e = errors.get(w.name());
            if (e == null) {
                o.putNull("last_error");
            } else {
                o.putObject("last_error").put("at", e.at().toString()).put("message", e.message());
            }
            o.set("retention", retention(w.name(), cfg));
        }
        return root;
    }

    /** {@code {"policy": bool, "remove": [ids]}} from a prune dry run, or {@code "error"} when it is refused. */
    private ObjectNode retention(String wpar, RetentionConfig cfg) {
        ObjectNode r = JSON.createObjectNode();
        ArrayNode remove = r.putArray("remove");
        if (pruner == null || cfg.policyFor(wpar).isEmpty()) {
            return r.put("policy", false);
        }
        r.put("policy", true);
        try {
            JsonNode plan = pruner.prune(wpar, null, true, false);
            for (JsonNode c : plan.path("wpars").path(0).path("remove")) {
                remove.add(c.path("id").asLong());
            }
        } catch (IOException e) {
            r.put("error", e.getMessage());
        }
        return r;
    }

    private static ObjectNode brief(CheckpointRow c) {
        if (c == null) {
            return null;
        }
        return JSON.createObjectNode().put("id", c.id()).put("taken_at", Instant.ofEpochMilli(c.takenAt()).toString())
                .put("kind", c.kind()).put("health", c.health()).put("host", c.host());
    }

    private static void putAge(ObjectNode o, String field, CheckpointRow c, long now) {
        if (c == null) {
            o.putNull(field);
        } else {
            o.put(field, (now - c.takenAt()) / 1000.0);
        }
    }

    private static String param(Map<String, List<String>> params, String name) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() || v.get(0).isEmpty() ? null : v.get(0);
    }

    private static boolean flag(Map<String, List<String>> params, String name) {
        String v = param(params, name);
        return v != null && (v.equals("true") || v.equals("1"));
    }
}
