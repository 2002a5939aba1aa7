package io.ckpt.security;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.WparDao;
import io.ckpt.control.Placement;
import io.ckpt.ingest.IngestException;
import io.ckpt.protocol.ErrorCode;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What each role may do, checked before every upload, restore and request (docs/SECURITY.md has
 * this table for operators; a test walks it). A host's scope is the WPARs it owns
 * ({@link io.ckpt.control.Ownership}) or that the server config's {@code placement} names it
 * primary or backup for ({@link Placement}); a WPAR nobody owns yet may be uploaded (and so claimed)
 * by any host.
 */
public final class Access {
    /** What a request needs. */
    public enum Need {
        /** Any authenticated role: metadata only. */
        ANY,
        /** admin; or host, for a WPAR in its scope (named by the request's wpar, or its checkpoint id). */
        SCOPED,
        /** admin or host, acting as itself: the request's {@code host}, when given, must be its name. */
        AGENT,
        /** admin only. */
        ADMIN
    }

    /** Every REQUEST op the server answers; an op not listed needs admin. */
    public static final Map<String, Need> REQUESTS = Map.ofEntries(
            Map.entry("list", Need.ANY), Map.entry("show", Need.ANY), Map.entry("select", Need.ANY),
            Map.entry("alerts", Need.ANY), Map.entry("owner", Need.ANY), Map.entry("hosts", Need.ANY),
            Map.entry("fetch", Need.SCOPED), Map.entry("chunk_list", Need.SCOPED), Map.entry("mark", Need.SCOPED),
            Map.entry("claim", Need.SCOPED), Map.entry("confirm", Need.SCOPED),
            Map.entry("poll", Need.AGENT), Map.entry("task_result", Need.AGENT),
            Map.entry("protect", Need.ADMIN), Map.entry("prune", Need.ADMIN), Map.entry("gc", Need.ADMIN),
            Map.entry("verify", Need.ADMIN), Map.entry("relocate", Need.ADMIN), Map.entry("failover", Need.ADMIN),
            Map.entry("rebalance", Need.ADMIN), Map.entry("host_add", Need.ADMIN), Map.entry("host_list", Need.ADMIN),
            Map.entry("host_revoke", Need.ADMIN));

    private final Catalog catalog;
    private final Supplier<Placement> placement;

    public Access(Catalog catalog, Supplier<Placement> placement) {
        this.catalog = catalog;
        this.placement = placement;
    }

    /** Checks a REQUEST frame's op. */
    public void request(Principal p, JsonNode req) throws IOException {
        String op = req.path("op").asText("");
        Need need = REQUESTS.getOrDefault(op, Need.ADMIN);
        if (!p.authenticated() || p.role() == Role.ADMIN) {
            return; // admin may do everything, also act for any host (a relocation, a take-over)
        }
        switch (need) {
            case ANY -> { }
            case ADMIN -> throw refused(p, "may not '" + op + "': it needs the admin role");
            case AGENT -> {
                requireNotReadOnly(p, op);
                requireSelf(p, req, op);
            }
            case SCOPED -> {
                requireNotReadOnly(p, op);
                if (op.equals("claim") || op.equals("confirm")) {
                    requireSelf(p, req, op);
                }
                if (req.hasNonNull("wpar")) {
                    requireScope(p, req.get("wpar").asText(), op.equals("claim"), op);
                } else {
                    requireScope(p, checkpointWpar(req.path("id").asLong(-1)), false, op);
                }
            }
        }
    }

    /** Checks an UPLOAD_BEGIN: a host uploads to the WPARs in its scope, or to one nobody owns yet (claiming it). */
    public void upload(Principal p, String wpar) throws IOException {
        if (!p.authenticated() || p.role() == Role.ADMIN) {
            return;
        }
        requireNotReadOnly(p, "upload");
        requireScope(p, wpar, true, "upload");
    }

    /** Checks a RESTORE_REQUEST: checkpoint data, so never for read-only. */
    public void restore(Principal p, long checkpointId) throws IOException {
        if (!p.authenticated() || p.role() == Role.ADMIN) {
            return;
        }
        requireNotReadOnly(p, "restore");
        requireScope(p, checkpointWpar(checkpointId), false, "restore");
    }

    /** Whether {@code host} owns {@code wpar} or is named for it in placement; unowned counts when {@code unownedOk}. */
    boolean inScope(String host, String wpar, boolean unownedOk) throws IOException {
        Optional<WparDao.Owner> owner = catalog.read(h -> h.attach(WparDao.class).owner(wpar));
        if (owner.isEmpty() || owner.get().ownerHost() == null) {
            if (unownedOk) {
                return true;
            }
        } else if (owner.get().ownerHost().equals(host)) {
            return true;
        }
        return placement.get().ruleFor(wpar)
                .map(r -> r.primary().equals(host) || r.backups().contains(host))
                .orElse(false);
    }

    private void requireScope(Principal p, String wpar, boolean unownedOk, String what) throws IOException {
        if (wpar == null) {
            return; // no such checkpoint: the handler answers NOT_FOUND
        }
        if (!inScope(p.name(), wpar, unownedOk)) {
            throw refused(p, "may not " + what + " WPAR " + wpar + ": it neither owns it nor backs it up (placement)");
        }
    }

    private String checkpointWpar(long id) throws IOException {
        return catalog.read(h -> h.attach(CheckpointDao.class).find(id)).map(CheckpointRow::wpar).orElse(null);
    }

    private static void requireNotReadOnly(Principal p, String what) throws IngestException {
        if (p.role() == Role.READ_ONLY) {
            throw refused(p, "may not '" + what + "': the read-only role lists and shows, and reads no data");
        }
    }

    private static void requireSelf(Principal p, JsonNode req, String op) throws IngestException {
        String host = req.path("host").asText("");
        if (!host.isEmpty() && !host.equals(p.name())) {
            throw refused(p, "may not '" + op + "' as host " + host + ": a credential acts only as its own host"
                + " (give the client --host-id " + p.name() + ")");
        }
    }

    static IngestException refused(Principal p, String what) {
        return new IngestException(ErrorCode.REFUSED, p.role().wireName() + " " + p.name() + " " + what);
    }
}
