package io.ckpt.server.request;

import static io.ckpt.query.CatalogQueries.requiredText;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.control.Ownership;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.query.CatalogQueries;
import java.io.IOException;

/**
 * The ownership requests: {@code owner} (who owns a WPAR, at which epoch), {@code claim} (a host
 * takes a WPAR it may take, ending the old owner's uploads) and {@code confirm} (a host checks it
 * still owns a WPAR at the epoch a move gave it, before it starts it). The rules are
 * {@link Ownership}'s; docs/RELOCATION.md, "Ownership and fencing".
 */
public final class OwnershipRequests {
    private final Ownership ownership;

    public OwnershipRequests(Ownership ownership) {
        this.ownership = ownership;
    }

    /** Answers {@code req} (op owner, claim or confirm). */
    public ObjectNode handle(JsonNode req) throws IOException {
        String op = req.path("op").asText("");
        String wpar = requiredText(req, "wpar");
        return switch (op) {
            case "owner" -> owner(wpar);
            case "claim" -> {
                var o = ownership.claim(wpar, requiredText(req, "host"), req.path("take_over").asBoolean(false));
                ObjectNode n = CatalogQueries.mapper().createObjectNode().put("wpar", o.wpar()).put("owner", o.host())
                        .put("epoch", o.epoch());
                n.put("previous_owner", o.previousHost());
                yield n.put("changed", o.changed());
            }
            case "confirm" -> {
                ownership.confirm(wpar, requiredText(req, "host"), req.path("epoch").asLong(-1));
                yield owner(wpar);
            }
            default -> throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "not an ownership request: '" + op + "'");
        };
    }

    private ObjectNode owner(String wpar) throws IOException {
        var o = ownership.owner(wpar).orElseThrow(() -> new NotFoundException(
                "unknown WPAR '" + wpar + "': no checkpoint was ever uploaded for it"));
        ObjectNode n = CatalogQueries.mapper().createObjectNode().put("wpar", wpar);
        n.put("owner", o.ownerHost());
        return n.put("epoch", o.epoch());
    }
}
