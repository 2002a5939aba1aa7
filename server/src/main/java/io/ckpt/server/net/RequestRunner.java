package io.ckpt.server.net;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.audit.Actor;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.ProtocolVersion;
import io.ckpt.security.Principal;
import io.ckpt.security.Role;
import io.ckpt.server.request.Caller;
import io.ckpt.server.request.LongRequest;
import io.ckpt.server.request.RequestDispatcher;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection's side of its REQUEST frames: hands each to the server's
 * {@link RequestDispatcher} with this connection as the {@link Caller}, and writes the answers
 * and errors to its channel. While a long request runs ({@link #longRequest}) the connection is
 * busy, not idle, and a client of protocol version 4 or later hears its progress notices.
 */
final class RequestRunner implements Caller {
    private final ChannelHandlerContext ctx;
    private final ConnectionHandler connection;
    private final RequestDispatcher dispatcher;
    private final RestoreStreamer restores;
    private final int idleTimeoutSeconds;
    /** Long requests running on this connection. */
    private final AtomicInteger longRunning = new AtomicInteger();

    RequestRunner(ChannelHandlerContext ctx, ConnectionHandler connection, RequestDispatcher dispatcher,
            RestoreStreamer restores, int idleTimeoutSeconds) {
        this.ctx = ctx;
        this.connection = connection;
        this.dispatcher = dispatcher;
        this.restores = restores;
        this.idleTimeoutSeconds = idleTimeoutSeconds;
    }

    /**
     * Whether a long request is running: then the server is working for this client, and the idle
     * timeout must not drop it (a client below version 4 hears nothing until the answer). Any thread.
     */
    boolean busy() {
        return longRunning.get() > 0;
    }

    /** Runs the REQUEST {@code r}. Event loop. */
    void run(Frame.Request r) {
        dispatcher.dispatch(this, r.json());
    }

    @Override
    public Principal principal() {
        return connection.principal();
    }

    @Override
    public String tenantSeen() {
        Principal p = connection.principal();
        return p == null || !p.authenticated() || p.role() == Role.ADMIN ? null : p.tenant();
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
        ctx.writeAndFlush(new Frame.Response(json));
    }

    @Override
    public void refuse(Throwable t) {
        ErrorReplies.reply(ctx, connection.peer(), t);
    }

    @Override
    public void wantUploadNotices() {
        connection.wantUploadNotices();
    }

    @Override
    public void fetch(JsonNode request) {
        restores.fetch(request);
    }

    @Override
    public LongRequest longRequest(String op) {
        ProgressNotices notices = new ProgressNotices(ctx, op, ProgressNotices.interval(idleTimeoutSeconds),
                ProtocolVersion.hasProgress(connection.version()));
        longRunning.incrementAndGet();
        return new LongRequest(this, notices, () -> {
            notices.end();
            longRunning.decrementAndGet();
        });
    }

    @Override
    public void restore(JsonNode request) {
        restores.restore(request, tenantSeen());
    }
}
