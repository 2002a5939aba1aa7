package io.ckpt.server.request;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.audit.AuditReader;
import io.ckpt.query.CatalogQueries;
import io.ckpt.security.Access.Rule;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every REQUEST op the server answers, each declared once: its name, the {@link Rule} by which
 * {@link io.ckpt.security.Access} authorises it (against the object on the server the request
 * touches: checkpoint id, then that checkpoint's WPAR, then its tenant; never a name the client
 * gives), the threads it runs on, how it is audited, and its handler. An op not declared here is
 * answered BAD_REQUEST and reaches no handler, so no op can bypass the access check: the check is
 * part of the declaration. docs/SECURITY.md has the same table for operators; AccessTest walks it.
 */
public final class Requests {
    /** Where an op runs. */
    public enum Runs {
        /** On the connection's event loop: only ops whose rule and handler read neither disk nor catalog. */
        EVENT_LOOP,
        /** On the request workers: catalog reads and short writes. */
        REQUEST_WORKERS,
        /** On the restore workers, beside restores: ops that stream data or may take minutes (verify, gc, moves). */
        RESTORE_WORKERS
    }

    /** How an op is audited. */
    public enum Audit {
        /** Not audited (queries, agent traffic; fetch audits its checkpoint itself, once per connection). */
        NONE,
        /**
         * A change, recorded by {@code AuditEvents.request} with the authorised request and its
         * answer or error (which names the event: mark-good, prune, ownership.claim, ...).
         */
        REQUEST,
        /** As a change of a host's credentials, {@code host.add} / {@code host.revoke} (the op's name after "host_"). */
        CREDENTIAL_CHANGE
    }

    /** Answers an authorised request: the RESPONSE's JSON, or null when the handler answers itself (poll, fetch). */
    @FunctionalInterface
    public interface Handler {
        String handle(RequestServices services, Caller caller, JsonNode request) throws Exception;
    }

    /** Whether the HTTP API answers an op too (docs/API.md): only reads that answer with JSON. */
    public enum Http {
        /** Over the protocol only. */
        NO,
        /** Also {@code GET /api/v1/...}, by the same rule and handler ({@link RequestDispatcher#read}). */
        GET
    }

    /**
     * How long an op may take. A {@link #MINUTES} op keeps its connection from being dropped as
     * idle while it runs (the server's --idle-timeout does not apply), and a client of protocol
     * version 4 or later hears progress notices every few seconds until the answer
     * (docs/PROTOCOL.md, "Progress notices"). It may not run on the event loop.
     */
    public enum Takes {
        /** Answered at once, or within a catalog transaction. */
        MOMENT,
        /** May run for minutes: verify, gc, prune, the moves. */
        MINUTES
    }

    /** One op's declaration. */
    public record Op(String name, Rule rule, Runs runs, Audit audit, Http http, Takes takes, Handler handler) {
        /** An op the HTTP API does not answer, answered at once. */
        public Op(String name, Rule rule, Runs runs, Audit audit, Handler handler) {
            this(name, rule, runs, audit, Http.NO, Takes.MOMENT, handler);
        }

        /** An op answered at once, over HTTP as {@code http} says. */
        public Op(String name, Rule rule, Runs runs, Audit audit, Http http, Handler handler) {
            this(name, rule, runs, audit, http, Takes.MOMENT, handler);
        }

        /** An op the HTTP API does not answer, taking as long as {@code takes} says. */
        public Op(String name, Rule rule, Runs runs, Audit audit, Takes takes, Handler handler) {
            this(name, rule, runs, audit, Http.NO, takes, handler);
        }
    }

    private static final Handler QUERY = (s, c, r) -> s.queries().handle(r, c.tenantSeen());
    private static final Handler MAINTENANCE = (s, c, r) -> CatalogQueries.toJson(s.maintenance().handle(r, c.progress()));
    private static final Handler OWNERSHIP = (s, c, r) -> CatalogQueries.toJson(s.ownership().handle(r));
    private static final Handler CONTROL = (s, c, r) -> CatalogQueries.toJson(s.control().handle(r, c.progress()));

    private static final Handler CREDENTIAL = (s, c, r) -> CatalogQueries.toJson(s.credentials().handle(r, s.disconnect()));

    private static final Map<String, Op> TABLE = table(
            // catalog metadata, seen through the caller's tenant
            new Op("list", Rule.WPAR_METADATA, Runs.REQUEST_WORKERS, Audit.NONE, Http.GET, QUERY),
            new Op("show", Rule.CHECKPOINT_METADATA, Runs.REQUEST_WORKERS, Audit.NONE, Http.GET, QUERY),
            new Op("select", Rule.SELECTION, Runs.REQUEST_WORKERS, Audit.NONE, QUERY),
            new Op("owner", Rule.WPAR_METADATA, Runs.REQUEST_WORKERS, Audit.NONE, OWNERSHIP),
            new Op("alerts", Rule.METADATA, Runs.REQUEST_WORKERS, Audit.NONE, Http.GET, QUERY),
            new Op("hosts", Rule.METADATA, Runs.RESTORE_WORKERS, Audit.NONE, Http.GET,
                    (s, c, r) -> CatalogQueries.toJson(s.access().hostsSeenBy(c.principal(), s.control().handle(r)))),
            new Op("load", Rule.METADATA, Runs.EVENT_LOOP, Audit.NONE, Http.GET, (s, c, r) -> s.load().get()),
            new Op("upload_notices", Rule.METADATA, Runs.EVENT_LOOP, Audit.NONE, (s, c, r) -> {
                c.wantUploadNotices();
                return "{\"upload_notices\":true}";
            }),
            // checkpoint data and health, by a host in the checkpoint's scope
            new Op("fetch", Rule.CHECKPOINT_DATA, Runs.RESTORE_WORKERS, Audit.NONE, (s, c, r) -> {
                c.fetch(r);
                return null;
            }),
            // select and RESTORE in one (protocol version 3): the selector is checked as select's, and the
            // data against the checkpoint it chooses (Access.restore, by the streamer); audited as a restore is
            new Op("restore", Rule.SELECTION, Runs.RESTORE_WORKERS, Audit.NONE, (s, c, r) -> {
                c.restore(r);
                return null;
            }),
            new Op("chunk_list", Rule.CHECKPOINT_DATA, Runs.REQUEST_WORKERS, Audit.NONE, QUERY),
            new Op("mark", Rule.CHECKPOINT_DATA, Runs.REQUEST_WORKERS, Audit.REQUEST, QUERY),
            // ownership, by the host itself
            new Op("claim", Rule.CLAIM, Runs.REQUEST_WORKERS, Audit.REQUEST, OWNERSHIP),
            new Op("confirm", Rule.CONFIRM, Runs.REQUEST_WORKERS, Audit.NONE, OWNERSHIP),
            // the agent's task channel
            new Op("poll", Rule.AGENT, Runs.EVENT_LOOP, Audit.NONE, (s, c, r) -> {
                s.hosts().poll(r.path("host").asText(c.host()), r, c.peer(), c::respond);
                return null;
            }),
            new Op("task_result", Rule.AGENT, Runs.EVENT_LOOP, Audit.NONE, (s, c, r) -> {
                s.hosts().result(r.path("host").asText(c.host()), r);
                return "{\"ok\":true}";
            }),
            // administration
            new Op("protect", Rule.ADMIN_CHECKPOINT, Runs.REQUEST_WORKERS, Audit.REQUEST, QUERY),
            new Op("prune", Rule.ADMIN, Runs.REQUEST_WORKERS, Audit.REQUEST, Takes.MINUTES, MAINTENANCE),
            new Op("gc", Rule.ADMIN, Runs.RESTORE_WORKERS, Audit.REQUEST, Takes.MINUTES, MAINTENANCE),
            new Op("verify", Rule.ADMIN, Runs.RESTORE_WORKERS, Audit.REQUEST, Takes.MINUTES, MAINTENANCE),
            new Op("relocate", Rule.ADMIN, Runs.RESTORE_WORKERS, Audit.REQUEST, Takes.MINUTES, CONTROL),
            new Op("failover", Rule.ADMIN, Runs.RESTORE_WORKERS, Audit.REQUEST, Takes.MINUTES, CONTROL),
            new Op("rebalance", Rule.ADMIN, Runs.RESTORE_WORKERS, Audit.REQUEST, Takes.MINUTES, CONTROL),
            new Op("host_add", Rule.ADMIN, Runs.REQUEST_WORKERS, Audit.CREDENTIAL_CHANGE, CREDENTIAL),
            new Op("host_list", Rule.ADMIN, Runs.REQUEST_WORKERS, Audit.NONE, CREDENTIAL),
            new Op("host_revoke", Rule.ADMIN, Runs.REQUEST_WORKERS, Audit.CREDENTIAL_CHANGE, CREDENTIAL),
            new Op("audit", Rule.ADMIN, Runs.REQUEST_WORKERS, Audit.NONE,
                    (s, c, r) -> CatalogQueries.toJson(s.audit().log().query(AuditReader.Filter.of(r)))));

    private Requests() {}

    /** The declaration of {@code op}; empty when the server does not answer it. */
    public static Optional<Op> find(String op) {
        return Optional.ofNullable(TABLE.get(op));
    }

    /** Every declared op, in the order of the table above. */
    public static Collection<Op> all() {
        return TABLE.values();
    }

    /** The ops by name; refuses a name declared twice (the second declaration would silently win). */
    static Map<String, Op> table(Op... ops) {
        Map<String, Op> t = new LinkedHashMap<>();
        for (Op op : ops) {
            if (t.put(op.name(), op) != null) {
                throw new IllegalStateException("request op '" + op.name() + "' is declared twice");
            }
            if (op.http() == Http.GET && op.audit() != Audit.NONE) {
                throw new IllegalStateException("request op '" + op.name() + "' is audited: the HTTP API serves reads only");
            }
            if (op.runs() == Runs.EVENT_LOOP && op.rule().readsCatalog()) {
                throw new IllegalStateException("request op '" + op.name() + "' runs on the event loop, but its"
                        + " access rule reads the catalog");
            }
        }
        for (Op op : t.values()) {
            // It would stall every connection of its event loop, its own progress notices included.
            if (op.takes() == Takes.MINUTES && op.runs() == Runs.EVENT_LOOP) {
                throw new IllegalStateException("request op '" + op.name() + "' is long but runs on the event loop");
            }
        }
        return Collections.unmodifiableMap(t);
    }
}
