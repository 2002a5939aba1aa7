package io.ckpt.server.request;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.audit.Actor;
import io.ckpt.progress.ProgressListener;
import io.ckpt.security.Principal;

/** The connection a request came on, as its dispatch and handlers see it. Its methods may be called from any thread. */
public interface Caller {
    /** Who is asking, as the handshake authenticated it. */
    Principal principal();

    /** The tenant whose checkpoints the caller's queries see; null: every tenant's (admin, an open local server). */
    String tenantSeen();

    /** Who is asking, for the audit log. */
    Actor actor();

    /** The caller's host name (the credential's, or HELLO's on an open server). */
    String host();

    /** The peer's address and host, for the server log. */
    String peer();

    /** Sends {@code json} as a RESPONSE. */
    void respond(String json);

    /** Sends the error {@code t} maps to; the connection stays open. */
    void refuse(Throwable t);

    /** From now on the caller hears how its upload waits for a slot ({@code upload_notices}). */
    void wantUploadNotices();

    /** Streams the chunks {@code request} (authorised, naming the checkpoint's real WPAR) asks for ({@code fetch}). */
    void fetch(JsonNode request);

    /**
     * Where the request being handled tells how far it has come: {@link ProgressListener#NONE},
     * except inside {@link #longRequest}'s caller.
     */
    default ProgressListener progress() {
        return ProgressListener.NONE;
    }

    /**
     * Starts a long request (an op declared {@link Requests.Takes#MINUTES}): the caller it returns is this one
     * whose {@link #progress()} reaches the client as progress notices, and the connection is not
     * idle while it runs. Closed once the handler returned, before the answer is sent.
     */
    default LongRequest longRequest(String op) {
        return LongRequest.quiet(this);
    }

    /**
     * Restores the checkpoint {@code request}'s selector chooses ({@code restore}, protocol version
     * 3): the connection resolves it as {@code select} would for {@link #tenantSeen} and authorises
     * the restore against the checkpoint chosen.
     */
    void restore(JsonNode request);
}
