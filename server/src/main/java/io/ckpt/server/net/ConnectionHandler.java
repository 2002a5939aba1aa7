package io.ckpt.server.net;

import io.ckpt.audit.Actor;
import io.ckpt.errors.ErrorCodes;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.security.Principal;
import io.ckpt.security.Role;
import io.ckpt.server.request.RequestDispatcher;
import io.ckpt.store.StoreException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection: its lifecycle and the dispatch of its frames. HELLO goes to the
 * {@link Handshake}; upload frames to the connection's {@link UploadFlow} (one ingest worker, in
 * order, with its backpressure); REQUESTs to the {@link RequestRunner}; RESTORE_REQUESTs to the
 * {@link RestoreStreamer}. A failure anywhere ends here ({@link #fail}): one ERROR, the upload
 * discarded, the close. Not sharable: it holds the connection's state.
 *
 * <p>The event loop never touches disk or catalog. Requests and restores run on their workers; a
 * restore waits whenever the socket's outbound buffer is full.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
    private final ServerContext server;
    private final RequestDispatcher dispatcher;
    private final Handshake handshake;
    private RequestRunner requests;
    private RestoreStreamer restores;
    private UploadFlow uploads;
    private ChannelHandlerContext ctx;
    private boolean welcomed;
    private String host = "";
    /** The protocol version the handshake chose. */
    private volatile int version;
    /**
     * Who is on this connection, set once by the handshake (null before): the access checks, the
     * dedup scope ({@link #tenant}) and the audit log read it. With credentials configured its
     * name is the credential's, whatever HELLO's HOST_ID said.
     */
    private volatile Principal principal;
    /** The principal's tenant: the dedup scope of its uploads. */
    volatile String tenant = Principal.DEFAULT_TENANT;
    private volatile boolean failed;
    /** Why the connection failed, for the upload that ends with it. */
    private volatile String failure;
    private ScheduledFuture<?> handshakeDeadline;
    /** When the socket is read: see {@link ReadGate}. */
    private ReadGate gate;

    ConnectionHandler(ServerContext server, RequestDispatcher dispatcher, Handshake handshake) {
        this.server = server;
        this.dispatcher = dispatcher;
        this.handshake = handshake;
    }

    /** Who is on this connection; null before HELLO. */
    Principal principal() {
        return principal;
    }

    /** The protocol version the handshake chose (0 before HELLO). */
    int version() {
        return version;
    }

    /** The host this connection acts as (the credential's name, or HELLO's on an open server); "" before HELLO. */
    String host() {
        return host;
    }

    /** The client asked to hear how its upload waits for a slot. */
    void wantUploadNotices() {
        uploads.wantNotices();
    }

    /** The authenticated principal's name (the host id), or HELLO's host id on an open local server; "" before HELLO. */
    String principalName() {
        Principal p = principal;
        return p == null ? "" : p.name();
    }

    /** The principal's role; null before HELLO. */
    Role role() {
        Principal p = principal;
        return p == null ? null : p.role();
    }

    /** The principal's tenant (dedup scope). */
    String tenant() {
        return tenant;
    }

    /** Whether the principal proved who it is with a credential (false on an open loopback server). */
    boolean authenticated() {
        Principal p = principal;
        return p != null && p.authenticated();
    }

    /**
     * Closes every open connection authenticated by credential {@code name} (just revoked): an
     * upload in progress on one is discarded, a parked poll or a restore ends. Returns how many.
     */
    static int disconnect(ChannelGroup channels, String name) {
        int n = 0;
        for (Channel ch : channels) {
            ConnectionHandler h = ch.pipeline().get(ConnectionHandler.class);
            if (h != null && h.authenticated() && h.principalName().equals(name)) {
                log.warn("credential {} revoked: closing its connection from {}", name, h.peer());
                h.failed = true;
                h.failure = "credential " + name + " revoked";
                ch.close();
                n++;
            }
        }
        return n;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.gate = new ReadGate(ctx.channel());
        this.uploads = new UploadFlow(server, ctx, this, gate);
        this.restores = new RestoreStreamer(server, ctx, this);
        this.requests = new RequestRunner(ctx, this, dispatcher, restores, server.idleTimeoutSeconds());
        handshakeDeadline = ctx.executor().schedule(() -> {
            if (!welcomed) {
                fail(new RequestRefusedException(ErrorCode.BAD_REQUEST, "no HELLO within " + server.handshakeTimeoutSeconds()
                        + " s of connecting (--handshake-timeout): connection dropped"));
            }
        }, server.handshakeTimeoutSeconds(), TimeUnit.SECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Frame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!welcomed) {
            handshake(frame);
            return;
        }
        if (uploads.read(frame)) {
            return;
        }
        if (frame instanceof Frame.Request r) {
            requests.run(r);
        } else if (frame instanceof Frame.RestoreRequest r) {
            server.restoreWorkers().execute(() -> restores.restore(r.checkpointId()));
        } else {
            fail(new RequestRefusedException(ErrorCode.BAD_REQUEST, "unexpected " + frame.getClass().getSimpleName() + " frame"));
        }
    }

    private void handshake(Frame frame) {
        Handshake.Welcomed w;
        try {
            w = handshake.check(ctx, frame);
        } catch (RequestRefusedException e) {
            fail(e);
            return;
        }
        principal = w.principal();
        tenant = w.tenant();
        host = w.host();
        version = w.version();
        welcomed = true;
        handshakeDeadline.cancel(false);
        handshake.welcome(ctx, w);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (restores != null) {
            restores.wake();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Whether the connection failed: it only drains what the client still sends, before it closes. */
    boolean failed() {
        return failed;
    }

    /** Sends the error and closes the connection: an upload that failed cannot be continued. */
    void fail(Throwable t) {
        if (failed) {
            return;
        }
        failed = true;
        failure = ErrorCodes.messageOf(t);
        if (restores != null) {
            restores.wake(); // a restore waiting to write gives up now and releases its reader
        }
        String where = "";
        if (uploads != null) {
            uploads.failed(failure); // free the upload slot now: the client may keep the socket open for a while
            where = uploads.where();
        }
        if (ctx.channel().isActive()) {
            gate.openForGood(); // keep reading (and dropping) what the client still sends: see failAndClose
        }
        ErrorReplies.failAndClose(ctx, peer(), where, t);
    }

    /**
     * Who this connection acts for, for the audit log: the host id from HELLO and the peer
     * address. The one place that reads the connection's identity: an authenticated principal
     * goes here.
     */
    Actor actor() {
        Principal p = principal;
        String name = p != null && p.authenticated() ? p.name() : "";
        return new Actor(name, host, String.valueOf(ctx.channel().remoteAddress()));
    }

    String peer() {
        return String.valueOf(ctx.channel().remoteAddress()) + (host.isEmpty() ? "" : " (" + host + ")");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (uploads.waitingForSlot()) {
                return; // waiting its turn is not idling: --upload-wait bounds it
            }
            if (requests.busy()) {
                return; // the server works on a long request (verify, gc...): the client waits for us
            }
            fail(new RequestRefusedException(ErrorCode.CONFLICT, "nothing sent or received for "
                    + server.idleTimeoutSeconds() + " s: connection dropped"));
            return;
        }
        if (evt instanceof FrameDeadlineHandler.Expired e) {
            fail(new RequestRefusedException(ErrorCode.BAD_REQUEST, "a frame was still incomplete " + e.seconds()
                    + " s after its first byte (--frame-timeout): connection dropped"));
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (restores != null) {
            restores.wake();
        }
        if (uploads != null) {
            uploads.closed(failure);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!welcomed && cause instanceof TooLongFrameException) {
            fail(new RequestRefusedException(ErrorCode.BAD_REQUEST, "a frame before HELLO may be at most "
                    + (ServerInitializer.HELLO_MAX_FRAME >> 10) + " KiB (" + cause.getMessage()
                    + "): the first frame must be HELLO; connection dropped"));
            return;
        }
        if (cause instanceof IOException && !(cause instanceof StoreException)) {
            log.info("connection from {}: {}", peer(), cause.getMessage());
            ctx.close();
            return;
        }
        fail(cause);
    }
}
