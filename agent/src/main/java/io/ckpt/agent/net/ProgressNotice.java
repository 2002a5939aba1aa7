package io.ckpt.agent.net;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One progress notice of a long request (verify, gc, prune, a move), as the server sends it on a
 * connection of protocol version 4 or later every few seconds until the answer: a RESPONSE whose
 * only member is {@code progress} (docs/PROTOCOL.md, "Progress notices").
 *
 * @param op the request's op
 * @param phase what it does now ("checking chunks")
 * @param done items done in this phase
 * @param total items in this phase; -1 when not known
 * @param detail where it is ("pack 12"), or null
 * @param elapsedMillis since the server started the request
 */
public record ProgressNotice(String op, String phase, long done, long total, String detail, long elapsedMillis) {
    /** The notice {@code response} is, or null when it is an answer. */
    static ProgressNotice of(JsonNode response) {
        if (response.size() != 1 || !response.path("progress").isObject()) {
            return null;
        }
        JsonNode p = response.get("progress");
        return new ProgressNotice(p.path("op").asText(""), p.path("phase").asText(""), p.path("done").asLong(),
                p.path("total").asLong(-1), p.hasNonNull("detail") ? p.get("detail").asText() : null,
                p.path("elapsed_ms").asLong());
    }
}
