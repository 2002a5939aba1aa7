package io.ckpt.server.request;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.audit.Actor;
import io.ckpt.progress.ProgressListener;
import io.ckpt.security.Principal;

/**
 * One long request (verify, gc, prune, a move) as its handler sees the caller: the connection's
 * {@link Caller} with its own {@link #progress()}. {@link #close()} ends it (the network side stops
 * its notices), and is called before the answer goes out, so that no notice follows the answer.
 */
public final class LongRequest implements Caller, AutoCloseable {
    private final Caller connection;
    private final ProgressListener progress;
    private final Runnable end;

    /** The long request on {@code connection} that reports to {@code progress}; {@code end} runs once, at {@link #close()}. */
    public LongRequest(Caller connection, ProgressListener progress, Runnable end) {
        this.connection = connection;
        this.progress = progress;
        this.end = end;
    }

    /** A long request whose progress nobody hears. */
    static LongRequest quiet(Caller connection) {
        return new LongRequest(connection, ProgressListener.NONE, () -> { });
    }

    @Override
    public ProgressListener progress() {
        return progress;
    }

    /** The request has ended (its handler returned or threw); what it reports from now on is dropped. */
    @Override
    public void close() {
        end.run();
    }

    @Override
    public Principal principal() {
        return connection.principal();
    }

    @Override
    public String tenantSeen() {
        return connection.tenantSeen();
    }

    @Override
    public Actor actor() {
        return connection.actor();
    }

    @Override
    public String host() {
        return connection.host();
    }

    @Override
    public String peer() {
        return connection.peer();
    }

    @Override
    public void respond(String json) {
        connection.respond(json);
    }

    @Override
    public void refuse(Throwable t) {
        connection.refuse(t);
    }

    @Override
    public void wantUploadNotices() {
        connection.wantUploadNotices();
    }

    @Override
    public void fetch(JsonNode request) {
        connection.fetch(request);
    }

    @Override
    public void restore(JsonNode request) {
        connection.restore(request);
    }
}
