package io.ckpt.server.net;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.audit.Actor;
import io.ckpt.protocol.Frame;
import io.ckpt.security.Principal;
import io.ckpt.security.Role;
import io.ckpt.server.request.Caller;
import io.ckpt.server.request.RequestDispatcher;
import io.netty.channel.ChannelHandlerContext;

/**
 * One connection's side of its REQUEST frames: hands each to the server's
 * {@link RequestDispatcher} with this connection as the {@link Caller}, and writes the answers
 * and errors to its channel.
 */
final class RequestRunner implements Caller {
    private final ChannelHandlerContext ctx;
    private final ConnectionHandler connection;
    private final RequestDispatcher dispatcher;
    private final RestoreStreamer restores;

    RequestRunner(ChannelHandlerContext ctx, ConnectionHandler connection, RequestDispatcher dispatcher,
            RestoreStreamer restores) {
        this.ctx = ctx;
        this.connection = connection;
        this.dispatcher = dispatcher;
        this.restores = restores;
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
    public void restore(JsonNode request) {
        restores.restore(request, tenantSeen());
    }
}
