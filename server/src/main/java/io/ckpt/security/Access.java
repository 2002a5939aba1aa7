package io.ckpt.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
     * One decision of this authority: what a request needs ({@link Need}) and what it is judged
     * against. {@code byCheckpoint}: its {@code id} is a checkpoint id, and the request is judged by
     * that checkpoint's own WPAR and tenant as the catalog has them (the client's {@code wpar} must
     * agree); {@code byWpar}: it reads the metadata of the WPAR it names, answered only for a WPAR
     * the caller {@link #sees}; {@code asSelf}: the request's {@code host}, when given, must be the
     * caller's own name; {@code claims}: a WPAR nobody owns yet counts as in the caller's scope.
     * Each request op names its rule in the request table ({@code io.ckpt.server.request.Requests}).
     */
    public record Rule(Need need, boolean byCheckpoint, boolean byWpar, boolean asSelf, boolean claims) {
        /** Server-wide metadata: alerts, hosts, load. */
        public static final Rule METADATA = new Rule(Need.ANY, false, false, false, false);
        /** Metadata of the WPAR the request names (list, owner). */
        public static final Rule WPAR_METADATA = new Rule(Need.ANY, false, true, false, false);
        /** Metadata of the checkpoint the request's id names (show). */
        public static final Rule CHECKPOINT_METADATA = new Rule(Need.ANY, true, false, false, false);
        /** Metadata of a checkpoint chosen by id or within the WPAR named (select). */
        public static final Rule SELECTION = new Rule(Need.ANY, true, true, false, false);
        /** Data or health of the checkpoint the id names, by a host in its WPAR's scope (fetch, chunk_list, mark). */
        public static final Rule CHECKPOINT_DATA = new Rule(Need.SCOPED, true, false, false, false);
        /** A host taking ownership of a WPAR in its scope or owned by nobody, as itself (claim). */
        public static final Rule CLAIM = new Rule(Need.SCOPED, false, false, true, true);
        /** A host confirming its ownership of a WPAR in its scope, as itself (confirm). */
        public static final Rule CONFIRM = new Rule(Need.SCOPED, false, false, true, false);
        /** An agent acting as itself (poll, task_result); reads nothing. */
        public static final Rule AGENT = new Rule(Need.AGENT, false, false, true, false);
        /** Admin only. */
        public static final Rule ADMIN = new Rule(Need.ADMIN, false, false, false, false);
        /** Admin only, on the checkpoint the id names (protect): its real WPAR is what is audited. */
        public static final Rule ADMIN_CHECKPOINT = new Rule(Need.ADMIN, true, false, false, false);

        /** Whether checking a request by this rule may read the catalog (so it must not run on an event loop). */
        public boolean readsCatalog() {
            return byCheckpoint || byWpar || need == Need.SCOPED;
        }
    }

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
    public record Target(Rule rule, JsonNode request, Long checkpointId, String claimedWpar, String tenant) {
        public String op() {
            return request.path("op").asText("");
        }

        public String wpar() {
            return request.hasNonNull("wpar") ? request.get("wpar").asText() : null;
        }
    }

    /** Looks up the object {@code req}, judged by {@code rule}, touches (see {@link Target}). */
    public Target target(Rule rule, JsonNode req) throws IOException {
        JsonNode id = req.get("id");
        if (!rule.byCheckpoint() || id == null || id.isNull()) {
            return new Target(rule, req, null, null, null);
        }
        long cp = id.asLong(-1); // as every handler reads it: "12" is 12 there too
        Optional<String[]> row = catalog.read(h -> {
            CheckpointDao dao = h.attach(CheckpointDao.class);
            return dao.find(cp).map(r -> new String[] {r.wpar(), dao.tenantOf(cp).orElse(Principal.DEFAULT_TENANT)});
        });
        if (row.isEmpty()) {
            return new Target(rule, req, cp, null, null);
        }
        String claimed = req.hasNonNull("wpar") ? req.get("wpar").asText() : null;
        ObjectNode named = ((ObjectNode) req).deepCopy().put("wpar", row.get()[0]);
        return new Target(rule, named, cp, claimed != null && !claimed.equals(row.get()[0]) ? claimed : null, row.get()[1]);
    }

    /** Checks {@code req} by {@code rule} as {@link #request(Principal, Target)} does, looking up what it touches. */
    public void request(Principal p, Rule rule, JsonNode req) throws IOException {
        request(p, target(rule, req));
    }

    /**
     * Checks a REQUEST frame's op against what it touches, by the target's rule. In this order:
     * admin-only ops; another tenant's checkpoint or WPAR (NOT_FOUND, as if absent); role and host
     * scope on the real WPAR (REFUSED); a {@code wpar} that contradicts the checkpoint id
     * (NOT_FOUND, for every role).
     */
    public void request(Principal p, Target t) throws IOException {
        String op = t.op();
        Rule rule = t.rule();
        Need need = rule.need();
        boolean all = !p.authenticated() || p.role() == Role.ADMIN; // admin may do everything, also act for any host
        if (!all) {
            if (need == Need.ADMIN) {
                throw refused(p, "may not '" + op + "': it needs the admin role");
            }
            if (t.tenant() != null && !t.tenant().equals(p.tenant())) {
                throw absent(op, t.checkpointId());
            }
            if (t.tenant() == null && rule.byWpar() && t.wpar() != null && !sees(p, t.wpar())) {
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
                    if (rule.asSelf()) {
                        requireSelf(p, t.request(), op);
                    }
                    if (t.checkpointId() != null || !t.request().hasNonNull("wpar")) {
                        String what = op + " checkpoint " + t.checkpointId() + " of";
                        requireScope(p, t.tenant() == null ? null : t.wpar(), false, what);
                    } else {
                        requireScope(p, t.wpar(), rule.claims(), op);
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
        ArrayNode hosts = out.putArray("hosts");
        for (JsonNode h : answer.path("hosts")) {
            ArrayNode owns = JsonNodeFactory.instance.arrayNode();
            for (JsonNode w : h.path("owns")) {
                if (sees(p, w.path("wpar").asText())) {
                    owns.add(w);
                }
            }
            if (!owns.isEmpty() || h.path("host").asText().equals(p.name())) {
                hosts.add(((ObjectNode) h.deepCopy()).set("owns", owns));
            }
        }
        ArrayNode unowned = out.putArray("unowned_wpars");
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
        return target(Rule.CHECKPOINT_METADATA, JsonNodeFactory.instance.objectNode().put("op", "restore").put("id", checkpointId));
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
