package io.ckpt.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.WparDao;
import io.ckpt.progress.ProgressListener;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/** The requests about hosts and moves: hosts, relocate, failover, rebalance (docs/RELOCATION.md). */
public final class ControlRequests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Catalog catalog;
    private final Hosts hosts;
    private final Mover mover;

    public ControlRequests(Catalog catalog, Hosts hosts, Mover mover) {
        this.catalog = catalog;
        this.hosts = hosts;
        this.mover = mover;
    }

    public ObjectNode handle(JsonNode req) throws IOException {
        return handle(req, ProgressListener.NONE);
    }

    /** Like {@link #handle(JsonNode)}; a move tells {@code progress} what it moves (its steps are in its answer). */
    public ObjectNode handle(JsonNode req, ProgressListener progress) throws IOException {
        String op = req.path("op").asText();
        Duration step = Duration.ofSeconds(req.path("step_timeout_seconds").asLong(Mover.DEFAULT_STEP_TIMEOUT.toSeconds()));
        return switch (op) {
            case "hosts" -> hostsJson();
            case "relocate" -> {
                progress.report("moving WPAR " + required(req, "wpar") + " to " + required(req, "to"), 0, -1, null);
                yield mover.relocate(required(req, "wpar"), required(req, "to"), step);
            }
            case "failover" -> {
                progress.report("moving the WPARs of " + required(req, "from"), 0, -1, null);
                yield mover.failover(required(req, "from"), req.hasNonNull("to") ? req.get("to").asText() : null,
                        req.path("point").asText("lkg"), req.path("force").asBoolean(false), step);
            }
            case "rebalance" -> {
                progress.report("moving WPARs back to their primary hosts", 0, -1, null);
                yield mover.rebalance(step);
            }
            default -> throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "unknown control op '" + op + "'");
        };
    }

    private ObjectNode hostsJson() throws IOException {
        Map<String, ArrayNode> owned = new TreeMap<>();
        ObjectNode root = JSON.createObjectNode();
        ArrayNode unowned = JSON.createArrayNode();
        for (WparDao.Owner o : catalog.read(h -> h.attach(WparDao.class).owners())) {
            if (o.ownerHost() == null) {
                unowned.add(o.name());
            } else {
                ObjectNode w = owned.computeIfAbsent(o.ownerHost(), k -> JSON.createArrayNode())
                        .addObject().put("wpar", o.name()).put("epoch", o.epoch());
                mover.unknownState(o.name()).ifPresent(u -> w.put("state", "unknown").put("unknown_on", u.host())
                        .put("unknown_since", u.since().toString()).put("unknown_reason", u.reason()));
            }
        }
        ArrayNode list = root.putArray("hosts");
        for (ObjectNode h : hosts.describe()) {
            h.set("owns", owned.getOrDefault(h.path("host").asText(), JSON.createArrayNode()));
            owned.remove(h.path("host").asText());
            list.add(h);
        }
        for (var e : owned.entrySet()) { // owners whose agents have not polled since the server started
            list.addObject().put("host", e.getKey()).put("live", false).set("owns", e.getValue());
        }
        root.set("unowned_wpars", unowned);
        root.put("lease_seconds", hosts.lease().toSeconds());
        return root;
    }

    private static String required(JsonNode req, String field) throws RequestRefusedException {
        if (!req.hasNonNull(field) || req.get(field).asText().isEmpty()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "request '" + req.path("op").asText() + "' needs '" + field + "'");
        }
        return req.get(field).asText();
    }
}
