package io.ckpt.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.CredentialDao;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import java.util.function.ToIntFunction;

/**
 * The credential requests behind {@code ckpt host add|list|revoke} (admin only; docs/PROTOCOL.md):
 * {@code host_add} issues a token (and a client certificate), {@code host_list} lists credentials
 * without their secrets, {@code host_revoke} revokes one and closes its open connections.
 */
public final class CredentialRequests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Credentials credentials;
    private final SecurityDir dir;

    public CredentialRequests(Credentials credentials, SecurityDir dir) {
        this.credentials = credentials;
        this.dir = dir;
    }

    /**
     * Answers one request; {@code disconnect} closes every open connection authenticated as the
     * named credential and says how many it closed.
     */
    public ObjectNode handle(JsonNode req, ToIntFunction<String> disconnect) throws IOException {
        String op = req.path("op").asText("");
        if (!dir.exists()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "this server has no credentials to manage: run"
                    + " 'ckpt server init --datastore DIR' with the server stopped, then start it again");
        }
        return switch (op) {
            case "host_add" -> add(req);
            case "host_list" -> list();
            case "host_revoke" -> {
                String host = required(req, "host");
                if (!credentials.revoke(host)) {
                    throw new NotFoundException("host " + host + " has no valid credential to revoke");
                }
                int closed = disconnect.applyAsInt(host);
                yield JSON.createObjectNode().put("host", host).put("revoked", true).put("connections_closed", closed);
            }
            default -> throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "unknown credential op '" + op + "'");
        };
    }

    private ObjectNode add(JsonNode req) throws IOException {
        String host = required(req, "host");
        Role role;
        try {
            role = Role.parse(req.path("role").asText("host"));
        } catch (IllegalArgumentException e) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, e.getMessage());
        }
        String token = null;
        SecurityDir.ClientKeyStore cert = null;
        if (req.path("cert").asBoolean(false)) {
            // The PKCS#12 file is protected by the host's token: one secret to hand over, not two.
            token = Tokens.generate();
            try {
                cert = dir.issueClientKeyStore(host, token.toCharArray());
            } catch (GeneralSecurityException e) {
                throw new IOException("issuing a client certificate for " + host + ": " + e.getMessage(), e);
            }
        }
        Credentials.Added a = credentials.add(host, role, req.path("tenant").asText(null),
                cert == null ? null : cert.fingerprint(), token == null ? Tokens.generate() : token);
        ObjectNode out = JSON.createObjectNode().put("host", host).put("role", role.wireName())
                .put("tenant", a.principal().tenant()).put("token", a.token());
        if (cert != null) {
            out.put("cert_sha256", cert.fingerprint()).put("cert_p12", Base64.getEncoder().encodeToString(cert.pkcs12()));
        }
        return out;
    }

    private ObjectNode list() throws IOException {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode arr = out.putArray("hosts");
        for (CredentialDao.Row r : credentials.list()) {
            ObjectNode n = arr.addObject().put("host", r.name()).put("role", r.role()).put("tenant", r.tenant())
                    .put("token", r.tokenHash() != null).put("cert_sha256", r.certSha256())
                    .put("created_at", Instant.ofEpochMilli(r.createdAt()).toString());
            n.put("revoked_at", r.revokedAt() == null ? null : Instant.ofEpochMilli(r.revokedAt()).toString());
        }
        return out;
    }

    private static String required(JsonNode req, String field) throws RequestRefusedException {
        String v = req.path(field).asText("");
        if (v.isEmpty()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "request '" + req.path("op").asText() + "' needs '" + field + "'");
        }
        return v;
    }
}
