package io.ckpt.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.catalog.WparDao;
import io.ckpt.control.Placement;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What each role may do, checked before every upload, restore and request (docs/SECURITY.md has
 * this table for operators; {@code AccessTest} walks it). A host's scope is the WPARs it owns
 * ({@link io.ckpt.control.Ownership}) or that the server config's {@code placement} names it
 * primary or backup for ({@link Placement}); a WPAR nobody owns yet may be uploaded (and so claimed)
 * by any host.
 *
 * <p>Every request is authorised by the object it touches as the server knows it, never by a
 * name the client gives: a request naming a checkpoint id is judged by that checkpoint's own WPAR
 * and tenant, read from the catalog ({@link #target}). A checkpoint's WPAR and tenant are written
 * once, when its upload begins, and never change, so the row read here cannot disagree with the
 * row the handler then reads: at worst the checkpoint is pruned in between, and the handler
 * answers NOT_FOUND. Checkpoint ids are never reused (AUTOINCREMENT), so a pruned id cannot come
 * back as another tenant's checkpoint between the check and the handler. A checkpoint of another tenant is answered NOT_FOUND, exactly as one that
 * does not exist (its tenant learns nothing of it); one of the caller's tenant outside its scope is
 * REFUSED; a {@code wpar} that disagrees with the checkpoint's is NOT_FOUND.
 */
public final class Access {
    /** What a request needs. */
    public enum Need {
        /** Any authenticated role: metadata of the caller's tenant only (admin: all). */
        ANY,
        /** admin; or host, for a WPAR in its scope (the checkpoint's own WPAR when the request names an id). */
        SCOPED,
        /** admin or host, acting as itself: the request's {@code host}, when given, must be its name. */
        AGENT,
        /** admin only. */
        ADMIN
    }

    /**
     * Every REQUEST op the server answers. An op not listed here is not dispatched at all
     * ({@code ConnectionHandler} answers BAD_REQUEST), so this table is complete by construction;
     * {@code RequestOpsTest} checks that every handler's ops are in it.
     */
    public static final Map<String, Need> REQUESTS = Map.ofEntries(
            Map.entry("list", Need.ANY), Map.entry("show", Need.ANY), Map.entry("select", Need.ANY),
            Map.entry("alerts", Need.ANY), Map.entry("owner", Need.ANY), Map.entry("hosts", Need.ANY),
            Map.entry("load", Need.ANY), Map.entry("upload_notices", Need.ANY),
            Map.entry("fetch", Need.SCOPED), Map.entry("chunk_list", Need.SCOPED), Map.entry("mark", Need.SCOPED),
            Map.entry("claim", Need.SCOPED), Map.entry("confirm", Need.SCOPED),
            Map.entry("poll", Need.AGENT), Map.entry("task_result", Need.AGENT),
            Map.entry("protect", Need.ADMIN), Map.entry("prune", Need.ADMIN), Map.entry("gc", Need.ADMIN),
            Map.entry("verify", Need.ADMIN), Map.entry("relocate", Need.ADMIN), Map.entry("failover", Need.ADMIN),
            Map.entry("rebalance", Need.ADMIN), Map.entry("host_add", Need.ADMIN), Map.entry("host_list", Need.ADMIN),
            Map.entry("host_revoke", Need.ADMIN), Map.entry("audit", Need.ADMIN));

    /** The ops whose {@code id} is a checkpoint id: they touch that checkpoint. */
    static final java.util.Set<String> BY_CHECKPOINT = java.util.Set.of("show", "select", "fetch", "chunk_list", "mark",
            "protect");

    /** The ops that name a WPAR to read its metadata: answered only for a WPAR the caller may see. */
    static final java.util.Set<String> BY_WPAR = java.util.Set.of("list", "select", "owner");

    private final Catalog catalog;
    private final Supplier<Placement> placement;

    public Access(Catalog catalog, Supplier<Placement> placement) {
        this.catalog = catalog;
        this.placement = placement;
    }

    /**
     * A request as the server reads it: {@code request} is the client's, with {@code wpar} set to
     * the WPAR of the checkpoint its {@code id} names (when that exists); {@code claimedWpar} is the
     * client's {@code wpar} when it said otherwise; {@code tenant} the checkpoint's tenant (null
     * when the request names no existing checkpoint). Handlers and the audit log read
     * {@code request}, so they name the real object.
     */
    public record Target(JsonNode request, Long checkpointId, String claimedWpar, String tenant) {
        public String op() {
            return request.path("op").asText("");
        }

        public String wpar() {
            return request.hasNonNull("wpar") ? request.get("wpar").asText() : null;
        }
    }

    /** Looks up the object {@code req} touches (see {@link Target}). */
    public Target target(JsonNode req) throws IOException {
        String op = req.path("op").asText("");
        JsonNode id = req.get("id");
        if (!BY_CHECKPOINT.contains(op) || id == null || id.isNull()) {
            return new Target(req, null, null, null);
        }
        long cp = id.asLong(-1); // as every handler reads it: "12" is 12 there too
        Optional<String[]> row = catalog.read(h -> {
            CheckpointDao dao = h.attach(CheckpointDao.class);
            return dao.find(cp).map(r -> new String[] {r.wpar(), dao.tenantOf(cp).orElse(Principal.DEFAULT_TENANT)});
        });
        if (row.isEmpty()) {
            return new Target(req, cp, null, null);
        }
        String claimed = req.hasNonNull("wpar") ? req.get("wpar").asText() : null;
        ObjectNode named = ((ObjectNode) req).deepCopy().put("wpar", row.get()[0]);
        return new Target(named, cp, claimed != null && !claimed.equals(row.get()[0]) ? claimed : null, row.get()[1]);
    }

    /** Checks {@code req} as {@link #request(Principal, Target)} does, looking up what it touches. */
    public void request(Principal p, JsonNode req) throws IOException {
        request(p, target(req));
    }

    /**
     * Checks a REQUEST frame's op against what it touches. In this order: admin-only ops; another
     * tenant's checkpoint or WPAR (NOT_FOUND, as if absent); role and host scope on the real WPAR
     * (REFUSED); a {@code wpar} that contradicts the checkpoint id (NOT_FOUND, for every role).
     */
    public void request(Principal p, Target t) throws IOException {
        String op = t.op();
        Need need = REQUESTS.getOrDefault(op, Need.ADMIN);
        boolean all = !p.authenticated() || p.role() == Role.ADMIN; // admin may do everything, also act for any host
        if (!all) {
            if (need == Need.ADMIN) {
                throw refused(p, "may not '" + op + "': it needs the admin role");
            }
            if (t.tenant() != null && !t.tenant().equals(p.tenant())) {
                throw absent(op, t.checkpointId());
            }
            if (t.tenant() == null && BY_WPAR.contains(op) && t.wpar() != null && !sees(p, t.wpar())) {
                throw new NotFoundException("unknown WPAR '" + t.wpar() + "': no checkpoint was ever uploaded for it");
            }
            switch (need) {
                case ANY, ADMIN -> { }
                case AGENT -> {
                    requireNotReadOnly(p, op);
                    requireSelf(p, t.request(), op);
                }
                case SCOPED -> {
                    requireNotReadOnly(p, op);
                    if (op.equals("claim") || op.equals("confirm")) {
                        requireSelf(p, t.request(), op);
                    }
                    if (t.checkpointId() != null || !t.request().hasNonNull("wpar")) {
                        String what = op + " checkpoint " + t.checkpointId() + " of";
                        requireScope(p, t.tenant() == null ? null : t.wpar(), false, what);
                    } else {
                        requireScope(p, t.wpar(), op.equals("claim"), op);
                    }
                }
            }
        }
        if (t.claimedWpar() != null) {
            throw new NotFoundException("no checkpoint with id " + t.checkpointId() + " in WPAR '" + t.claimedWpar() + "'");
        }
    }

    /**
     * Whether the tenant-scoped principal {@code p} may see WPAR {@code wpar}'s metadata: it has a
     * checkpoint of {@code p}'s tenant, or {@code p} is a host in its scope (owner or placement).
     */
    public boolean sees(Principal p, String wpar) throws IOException {
        if (!p.authenticated() || p.role() == Role.ADMIN) {
            return true;
        }
        if (catalog.read(h -> h.attach(CheckpointDao.class).hasTenant(wpar, p.tenant()))) {
            return true;
        }
        return p.role() == Role.HOST && inScope(p.name(), wpar, false);
    }

    /**
     * The {@code hosts} answer as {@code p} may see it: only the WPARs it {@link #sees}, and only the
     * hosts that own one of those (or are {@code p}). Admin sees it whole.
     */
    public ObjectNode hostsSeenBy(Principal p, ObjectNode answer) throws IOException {
        if (!p.authenticated() || p.role() == Role.ADMIN) {
            return answer;
        }
        ObjectNode out = answer.deepCopy();
        com.fasterxml.jackson.databind.node.ArrayNode hosts = out.putArray("hosts");
        for (JsonNode h : answer.path("hosts")) {
            com.fasterxml.jackson.databind.node.ArrayNode owns = JsonNodeFactory.instance.arrayNode();
            for (JsonNode w : h.path("owns")) {
                if (sees(p, w.path("wpar").asText())) {
                    owns.add(w);
                }
            }
            if (!owns.isEmpty() || h.path("host").asText().equals(p.name())) {
                hosts.add(((ObjectNode) h.deepCopy()).set("owns", owns));
            }
        }
        com.fasterxml.jackson.databind.node.ArrayNode unowned = out.putArray("unowned_wpars");
        for (JsonNode w : answer.path("unowned_wpars")) {
            if (sees(p, w.asText())) {
                unowned.add(w);
            }
        }
        return out;
    }

    /** Checks an UPLOAD_BEGIN: a host uploads to the WPARs in its scope, or to one nobody owns yet (claiming it). */
    public void upload(Principal p, String wpar) throws IOException {
        if (!p.authenticated() || p.role() == Role.ADMIN) {
            return;
        }
        requireNotReadOnly(p, "upload");
        requireScope(p, wpar, true, "upload");
    }

    /** The checkpoint a RESTORE_REQUEST names, as {@link #target} finds it (its real WPAR, for checks and the audit). */
    public Target checkpoint(long checkpointId) throws IOException {
        return target(JsonNodeFactory.instance.objectNode().put("op", "show").put("id", checkpointId));
    }

    /** Checks a RESTORE_REQUEST of {@code t} ({@link #checkpoint}): checkpoint data, so never for read-only. */
    public void restore(Principal p, Target t) throws IOException {
        if (!p.authenticated() || p.role() == Role.ADMIN) {
            return;
        }
        if (t.tenant() != null && !t.tenant().equals(p.tenant())) {
            throw absent("restore", t.checkpointId());
        }
        requireNotReadOnly(p, "restore");
        requireScope(p, t.tenant() == null ? null : t.wpar(), false, "restore checkpoint " + t.checkpointId() + " of");
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

    /** Another tenant's checkpoint: the very answer the handler gives for an id that does not exist. */
    private static NotFoundException absent(String op, long id) {
        return new NotFoundException(op.equals("show") ? "no checkpoint with id " + id : "no complete checkpoint with id " + id);
    }

    private static void requireNotReadOnly(Principal p, String what) throws RequestRefusedException {
        if (p.role() == Role.READ_ONLY) {
            throw refused(p, "may not '" + what + "': the read-only role lists and shows, and reads no data");
        }
    }

    private static void requireSelf(Principal p, JsonNode req, String op) throws RequestRefusedException {
        String host = req.path("host").asText("");
        if (!host.isEmpty() && !host.equals(p.name())) {
            throw refused(p, "may not '" + op + "' as host " + host + ": a credential acts only as its own host"
                + " (give the client --host-id " + p.name() + ")");
        }
    }

    static RequestRefusedException refused(Principal p, String what) {
        return new RequestRefusedException(ErrorCode.REFUSED, p.role().wireName() + " " + p.name() + " " + what);
    }
}
