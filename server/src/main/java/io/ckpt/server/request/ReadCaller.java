package io.ckpt.server.request;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.audit.Actor;
import io.ckpt.security.Principal;
import io.ckpt.security.Role;

/**
 * The caller of a read that comes over HTTP ({@link RequestDispatcher#read}): a principal (the
 * bearer token's, or the unauthenticated local one) and nothing else. Reads answer with their
 * JSON, so nothing here sends, streams or subscribes.
 */
public final class ReadCaller implements Caller {
    private final Principal principal;
    private final String peer;

    public ReadCaller(Principal principal, String peer) {
        this.principal = principal;
        this.peer = peer;
    }

    @Override
    public Principal principal() {
        return principal;
    }

    @Override
    public String tenantSeen() {
        return !principal.authenticated() || principal.role() == Role.ADMIN ? null : principal.tenant();
    }

    @Override
    public Actor actor() {
        return new Actor(principal.authenticated() ? principal.name() : "", "", peer);
    }

    @Override
    public String host() {
        return principal.name();
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public void respond(String json) {
        throw new UnsupportedOperationException("an HTTP read answers by returning its JSON");
    }

    @Override
    public void refuse(Throwable t) {
        throw new UnsupportedOperationException("an HTTP read fails by throwing");
    }

    @Override
    public void wantUploadNotices() {
        throw new UnsupportedOperationException("upload notices are for protocol connections");
    }

    @Override
    public void fetch(JsonNode request) {
        throw new UnsupportedOperationException("fetch streams over the protocol only");
    }

    @Override
    public void restore(JsonNode request) {
        throw new UnsupportedOperationException("restore streams over the protocol only");
    }
}
