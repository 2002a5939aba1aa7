package io.ckpt.query;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.alert.Alerts;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.ChunkRef;
import io.ckpt.catalog.LabelDao;
import io.ckpt.catalog.Names;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.catalog.PartDao;
import io.ckpt.catalog.PartRow;
import io.ckpt.catalog.WparDao;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.restore.Selection;
import io.ckpt.store.Journal;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The catalog's JSON requests: {@code list}, {@code show} and {@code select} (seen through the
 * caller's tenant), {@code mark}, {@code protect}, {@code chunk_list} and {@code alerts}; and
 * {@link #parse}, which reads any request within its limits. Maintenance (prune, gc, verify) and
 * ownership (owner, claim, confirm) are answered by their own handlers in
 * {@code io.ckpt.server.request}. Field names are part of the protocol and of the CLI's
 * {@code --json} output (docs/PROTOCOL.md, "Requests").
 */
public final class CatalogQueries {
    public static final int REQUEST_MAX_DEPTH = 16;
    /**
     * Limits on a request's JSON, beyond the frame size: nesting, string and number lengths, the
     * whole document. Requests are flat objects; the largest (a fetch with a page of ranges, a task
     * result with an error text) stay well below these.
     */
    public static final StreamReadConstraints REQUEST_LIMITS =
            StreamReadConstraints.builder()
                    .maxNestingDepth(REQUEST_MAX_DEPTH)
                    .maxStringLength(1 << 20)
                    .maxNumberLength(32)
                    .maxNameLength(256)
                    .maxDocumentLength(4L << 20)
                    .build();
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(REQUEST_LIMITS).build());

    private final Catalog catalog;
    private final Journal journal;
    private final Alerts alerts;

    public CatalogQueries(Catalog catalog, Journal journal) {
        this(catalog, journal, new Alerts());
    }

    /** With the server's {@code alerts}, which the {@code alerts} request answers. */
    public CatalogQueries(Catalog catalog, Journal journal, Alerts alerts) {
        this.catalog = catalog;
        this.journal = journal;
        this.alerts = alerts;
    }

    /** Answers a request with every tenant's checkpoints in sight (admin, the status page). */
    public String handle(String requestJson) throws IOException {
        return handle(requestJson, null);
    }

    /**
     * Answers a request as a credential of {@code tenant} sees the catalog: list, show and select
     * answer only that tenant's checkpoints, as if no other existed (null: every tenant's).
     */
    public String handle(String requestJson, String tenant) throws IOException {
        return handle(parse(requestJson), tenant);
    }

    /** Reads a request's JSON within {@link #REQUEST_LIMITS}; BAD_REQUEST when it is not JSON or is past them. */
    public static JsonNode parse(String requestJson) throws RequestRefusedException {
        try {
            return JSON.readTree(requestJson);
        } catch (StreamConstraintsException e) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "request refused: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "request is not JSON: " + e.getMessage());
        }
    }

    /** Like {@link #handle(String, String)}, for a request already parsed. */
    public String handle(JsonNode req, String tenant) throws IOException {
        TenantView view = new TenantView(tenant);
        String op = req.path("op").asText("");
        ObjectNode out = switch (op) {
            case "list" -> list(text(req, "wpar"), req.path("all").asBoolean(false), view);
            case "show" -> show(requiredId(req), view);
            case "select" -> select(req, view);
            case "mark" -> mark(requiredId(req), text(req, "health"), text(req, "reason"));
            case "protect" -> protect(requiredId(req), req.path("protected").asBoolean(true));
            case "chunk_list" -> chunkList(requiredId(req), req.path("part").asInt(-1), req.path("from").asInt(0),
                    req.path("limit").asInt(CHUNK_LIST_PAGE));
            case "alerts" -> alertsJson();
            default -> throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "unknown request op '" + op + "'");
        };
        return JSON.writeValueAsString(out);
    }

    /** {@code {"alerts": [{"key", "severity", "since", "message"}]}}, in the order they were raised. */
    private ObjectNode alertsJson() {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode arr = out.putArray("alerts");
        for (Alerts.Alert a : alerts.current()) {
            arr.addObject().put("key", a.key()).put("severity", a.severity().jsonName())
                    .put("since", a.since().toString()).put("message", a.message());
        }
        return out;
    }

    /** Most chunks one chunk_list answer carries (about 270 KiB of JSON). */
    static final int CHUNK_LIST_PAGE = 4096;

    /**
     * The digests and lengths of part {@code partSeq}'s chunks from {@code from} on: what a
     * client needs to put the part together from chunks it already holds plus a fetch of the
     * rest. {@code digests} is the digests' hex, concatenated; {@code next} is -1 after the last.
     */
    private ObjectNode chunkList(long id, int partSeq, int from, int limit) throws IOException {
        int n = Math.max(1, Math.min(limit, CHUNK_LIST_PAGE));
        CheckpointRow cp = catalog.read(h -> h.attach(CheckpointDao.class).find(id)).filter(CheckpointRow::isComplete)
                .orElseThrow(() -> new NotFoundException("no complete checkpoint with id " + id));
        PartRow part = catalog.read(h -> h.attach(PartDao.class).of(cp.id())).stream().filter(p -> p.seq() == partSeq)
                .findFirst().orElseThrow(() -> new NotFoundException("checkpoint " + id + " has no part " + partSeq));
        List<ChunkRef> page = catalog.read(h -> h.attach(PartChunkDao.class)
                .page(part.id(), Math.max(0, from), n));
        StringBuilder hex = new StringBuilder(page.size() * 64);
        ObjectNode out = JSON.createObjectNode().put("part", partSeq).put("from", from);
        PartInfo info = part.info();
        out.putObject("info").put("name", info.name()).put("type", info.type().code()).put("mode", info.mode())
                .put("mtime", info.mtimeMillis()).put("target", info.linkTarget()).put("size", part.size())
                .put("sha256", part.sha256() == null ? "" : HexFormat.of().formatHex(part.sha256()))
                .put("chunks", part.chunkCount());
        ArrayNode lengths = out.putArray("lengths");
        for (var c : page) {
            hex.append(HexFormat.of().formatHex(c.digest()));
            lengths.add(c.rawLength());
        }
        out.put("digests", hex.toString());
        int next = from + page.size();
        return out.put("next", next >= part.chunkCount() ? -1 : next);
    }

    /** Field {@code field} as text; BAD_REQUEST naming the op and the field when it is missing or empty. */
    public static String requiredText(JsonNode req, String field) throws RequestRefusedException {
        String v = text(req, field);
        if (v == null || v.isEmpty()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "request '" + req.path("op").asText() + "' needs '" + field + "'");
        }
        return v;
    }

    private ObjectNode list(String wpar, boolean all, TenantView view) throws IOException {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode arr = out.putArray("checkpoints");
        catalog.read(h -> {
            CheckpointDao dao = h.attach(CheckpointDao.class);
            if (wpar != null && !h.attach(WparDao.class).exists(wpar)) {
                throw new NotFoundException("unknown WPAR '" + wpar + "': no checkpoint was ever uploaded for it");
            }
            if (wpar != null && !view.seesWpar(h, wpar)) {
                throw new NotFoundException("unknown WPAR '" + wpar + "': no checkpoint was ever uploaded for it");
            }
            List<CheckpointRow> rows = view.filter(h, wpar == null
                    ? (all ? dao.listAll() : dao.listComplete())
                    : (all ? dao.listAll(wpar) : dao.listComplete(wpar)));
            LabelDao labels = h.attach(LabelDao.class);
            Set<Long> lkg = Selection.lastKnownGoodIds(rows);
            for (CheckpointRow r : rows) {
                arr.add(checkpointJson(r, labels.of(r.id())).put("lkg", lkg.contains(r.id())));
            }
            return null;
        });
        return out;
    }

    private ObjectNode show(long id, TenantView view) throws IOException {
        return catalog.read(h -> {
            CheckpointRow r = h.attach(CheckpointDao.class).find(id).filter(c -> view.sees(h, c.id()))
                    .orElseThrow(() -> new NotFoundException("no checkpoint with id " + id));
            ObjectNode out = JSON.createObjectNode();
            out.set("checkpoint", checkpointJson(r, h.attach(LabelDao.class).of(id)));
            ArrayNode parts = out.putArray("parts");
            for (PartRow p : h.attach(PartDao.class).of(id)) {
                ObjectNode pj = parts.addObject();
                pj.put("name", p.info().name());
                pj.put("type", p.info().type().name().toLowerCase());
                pj.put("mode", String.format("%04o", p.info().mode() & 07777));
                pj.put("mtime", Instant.ofEpochMilli(p.info().mtimeMillis()).toString());
                pj.put("size", p.size());
                pj.put("chunks", p.chunkCount());
                pj.put("sha256", p.sha256() == null ? "" : HexFormat.of().formatHex(p.sha256()));
                if (!p.info().linkTarget().isEmpty()) {
                    pj.put("target", p.info().linkTarget());
                }
            }
            return out;
        });
    }

    private ObjectNode select(JsonNode req, TenantView view) throws IOException {
        String wpar = text(req, "wpar");
        CheckpointRow chosen;
        if (req.hasNonNull("id")) {
            long id = requiredId(req);
            chosen = catalog.read(h -> h.attach(CheckpointDao.class).find(id).filter(c -> view.sees(h, c.id())))
                    .filter(CheckpointRow::isComplete)
                    .orElseThrow(() -> new NotFoundException("no complete checkpoint with id " + id));
            if (wpar != null && !wpar.equals(chosen.wpar())) {
                throw new NotFoundException("checkpoint " + id + " belongs to WPAR '" + chosen.wpar() + "', not '" + wpar + "'");
            }
        } else {
            if (wpar == null) {
                throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "select needs a WPAR or an id");
            }
            List<CheckpointRow> all = catalog.read(h -> {
                if (!h.attach(WparDao.class).exists(wpar) || !view.seesWpar(h, wpar)) {
                    throw new NotFoundException("unknown WPAR '" + wpar + "': no checkpoint was ever uploaded for it");
                }
                return view.filter(h, h.attach(CheckpointDao.class).listComplete(wpar));
            });
            String older = "";
            List<CheckpointRow> rows = all;
            if (req.hasNonNull("older_than_id")) {
                JsonNode n = req.get("older_than_id");
                if (!n.canConvertToLong()) {
                    throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "select needs a numeric 'older_than_id'");
                }
                long refId = n.asLong();
                CheckpointRow ref = catalog.read(h -> h.attach(CheckpointDao.class).find(refId).filter(c -> view.sees(h, c.id())))
                        .orElseThrow(() -> new NotFoundException("no checkpoint with id " + refId));
                if (!wpar.equals(ref.wpar())) {
                    throw new NotFoundException("checkpoint " + refId + " belongs to WPAR '" + ref.wpar() + "', not '" + wpar + "'");
                }
                rows = Selection.olderThan(all, ref);
                older = " older than checkpoint " + refId;
            }
            String olderThan = older;
            if (req.path("resume").asBoolean(false)) {
                chosen = Selection.resumePoint(rows).orElseThrow(() -> new NotFoundException(
                        "WPAR '" + wpar + "' has neither a final checkpoint newer than its last known good nor a"
                                + " last known good checkpoint; restore by --id or --latest"));
            } else if (req.path("last_known_good").asBoolean(false)) {
                chosen = Selection.lastKnownGood(rows).orElseThrow(() -> new NotFoundException(olderThan.isEmpty()
                        ? "WPAR '" + wpar + "' has no last known good checkpoint (none is complete and marked good);"
                                + " mark one with 'ckpt mark-good ID', or restore by --id or --latest"
                        : "WPAR '" + wpar + "' has no complete checkpoint marked good" + olderThan));
            } else if (req.hasNonNull("at")) {
                long at = instant("at", req.get("at").asText());
                List<CheckpointRow> r = rows;
                chosen = Selection.newestAtOrBefore(rows, at).orElseThrow(() -> new NotFoundException(
                        "WPAR '" + wpar + "' has no complete checkpoint" + olderThan + " taken at or before " + Instant.ofEpochMilli(at)
                                + (r.isEmpty() ? "" : "; its first is at " + Instant.ofEpochMilli(r.get(0).takenAt()))));
            } else {
                chosen = Selection.newest(rows).orElseThrow(
                        () -> new NotFoundException("WPAR '" + wpar + "' has no complete checkpoint" + olderThan));
            }
        }
        CheckpointRow c = chosen;
        ObjectNode out = JSON.createObjectNode();
        out.set("checkpoint", checkpointJson(c, catalog.read(h -> h.attach(LabelDao.class).of(c.id()))));
        return out;
    }

    /** Sets a checkpoint's health (the operator's mark-good / mark-bad) and returns it. */
    private ObjectNode mark(long id, String health, String reason) throws IOException {
        String r = reason == null ? "" : reason;
        if (!"good".equals(health) && !"bad".equals(health) && !"unknown".equals(health)) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "mark needs health good, bad or unknown, not '" + health + "'");
        }
        Names.checkHealth(health, r);
        CheckpointRow row = catalog.write(h -> {
            CheckpointDao dao = h.attach(CheckpointDao.class);
            dao.find(id).filter(CheckpointRow::isComplete)
                    .orElseThrow(() -> new NotFoundException("no complete checkpoint with id " + id));
            long now = System.currentTimeMillis();
            journal.append(Journal.health(id, health, r, now)); // first: a rebuilt catalog must not lack it
            dao.setHealth(id, health, r, now);
            return dao.find(id).orElseThrow();
        });
        ObjectNode out = JSON.createObjectNode();
        out.set("checkpoint", checkpointJson(row, catalog.read(h -> h.attach(LabelDao.class).of(id))));
        return out;
    }

    /** Protects a checkpoint from retention (or lifts the protection) and returns it. */
    private ObjectNode protect(long id, boolean on) throws IOException {
        CheckpointRow row = catalog.write(h -> {
            CheckpointDao dao = h.attach(CheckpointDao.class);
            dao.find(id).filter(CheckpointRow::isComplete)
                    .orElseThrow(() -> new NotFoundException("no complete checkpoint with id " + id));
            journal.append(Journal.protect(id, on, System.currentTimeMillis()));
            dao.setProtected(id, on);
            return dao.find(id).orElseThrow();
        });
        ObjectNode out = JSON.createObjectNode();
        out.set("checkpoint", checkpointJson(row, catalog.read(h -> h.attach(LabelDao.class).of(id))));
        return out;
    }

    /** The JSON form of one checkpoint, shared by list, show, select, restore and push. */
    public static ObjectNode checkpointJson(CheckpointRow r, List<String> labels) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", r.id());
        o.put("wpar", r.wpar());
        o.put("taken_at", Instant.ofEpochMilli(r.takenAt()).toString());
        o.put("kind", r.kind());
        o.put("state", r.state());
        o.put("health", r.health());
        if (r.healthReason() != null && !r.healthReason().isEmpty()) {
            o.put("health_reason", r.healthReason());
        }
        o.put("protected", r.isProtected());
        ArrayNode l = o.putArray("labels");
        labels.forEach(l::add);
        o.put("host", r.host());
        o.put("logical_bytes", r.logicalBytes());
        o.put("stored_bytes", r.storedBytes());
        o.put("chunks", r.chunkCount());
        o.put("new_chunks", r.newChunkCount());
        o.put("parts", r.partCount());
        o.put("created_at", Instant.ofEpochMilli(r.createdAt()).toString());
        if (r.completedAt() != null) {
            o.put("completed_at", Instant.ofEpochMilli(r.completedAt()).toString());
        }
        return o;
    }

    public static String toJson(Object node) throws IOException {
        return JSON.writeValueAsString(node);
    }

    public static ObjectMapper mapper() {
        return JSON;
    }

    /** Field {@code field} as text, or null. */
    public static String text(JsonNode req, String field) {
        JsonNode n = req.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static long requiredId(JsonNode req) throws RequestRefusedException {
        JsonNode n = req.get("id");
        if (n == null || !n.canConvertToLong()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "request needs a numeric 'id'");
        }
        return n.asLong();
    }

    /** Field {@code field}'s instant in milliseconds; one that is no instant, or past what a long holds, is BAD_REQUEST. */
    private static long instant(String field, String s) throws RequestRefusedException {
        try {
            return Instant.parse(s).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "'" + field + "': '" + s + "' is not an ISO-8601 instant");
        } catch (ArithmeticException e) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "'" + field + "': '" + s
                    + "' is too far from 1970 for milliseconds in a long");
        }
    }
}
