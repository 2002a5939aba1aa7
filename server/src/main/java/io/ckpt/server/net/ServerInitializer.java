package io.ckpt.server.net;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.codec.FrameDecoder;
import io.ckpt.protocol.codec.FrameEncoder;
import io.ckpt.server.request.RequestDispatcher;
import io.ckpt.server.request.RequestServices;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole server pipeline, in order: TLS (when the server has a TLS identity: {@link TlsDetector}
 * puts the {@code tls} handler in its place), idle timeout (a connection on which nothing was read or
 * written for that long, such as a stalled client, is dropped), frame deadline (a frame still
 * incomplete that long after its first byte, such as one trickled a byte at a time, drops the
 * connection), frame decoder, frame encoder, then the connection's handler, which also drops a
 * client that sends no HELLO in time.
 *
 * <p>Until HELLO is answered the frame decoder takes frames of at most {@link #HELLO_MAX_FRAME}
 * (a HELLO is a few hundred bytes), so an unauthenticated peer makes the server buffer no more than
 * that; the handshake then puts a decoder with the full frame size in its place. At most
 * {@code maxConnections} connections are open at once: one more is refused as it is accepted.
 */
public final class ServerInitializer extends ChannelInitializer<SocketChannel> {
    private static final Logger log = LoggerFactory.getLogger(ServerInitializer.class);
    /** Largest frame accepted before the handshake: HELLO with a token and a long host id fits many times over. */
    public static final int HELLO_MAX_FRAME = 64 << 10;

    private final ServerContext ctx;
    private final RequestDispatcher dispatcher;
    private final Handshake handshake;
    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refusedSinceLog = new AtomicLong();
    private volatile long lastRefusalLog;

    public ServerInitializer(ServerContext ctx, int maxConnections) {
        this.ctx = ctx;
        this.maxConnections = maxConnections;
        this.dispatcher = dispatcherOf(ctx);
        this.handshake = Handshake.of(ctx);
    }

    /** The server's one request dispatcher (the HTTP API's reads go through it too). */
    public RequestDispatcher dispatcher() {
        return dispatcher;
    }

    /** The server's one request dispatcher, over the services every connection shares. */
    static RequestDispatcher dispatcherOf(ServerContext s) {
        return new RequestDispatcher(new RequestServices(s.security().access(), s.queries(), s.maintenance(), s.ownership(), s.control(),
                s.credentialRequests(), s.hosts(), s.audit(), () -> s.fairness().json().toString(),
                name -> ConnectionHandler.disconnect(s.channels(), name), s.requestWorkers(), s.restoreWorkers()));
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        int n = open.incrementAndGet();
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        if (n > maxConnections) {
            refuse(ch);
            return;
        }
        ch.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(2 << 20, 8 << 20));
        ctx.channels().add(ch);
        ctx.security().tls().ifPresent(tls -> ch.pipeline().addLast("tlsDetector", new TlsDetector(tls)));
        ch.pipeline()
                .addLast("idle", new IdleStateHandler(0, 0, ctx.idleTimeoutSeconds()))
                .addLast("frameDeadline", new FrameDeadlineHandler(ctx.frameTimeoutSeconds()))
                .addLast(FRAME_DECODER, new FrameDecoder(Math.min(HELLO_MAX_FRAME, ctx.maxFrame())))
                .addLast("frameEncoder", FrameEncoder.INSTANCE)
                .addLast("connection", new ConnectionHandler(ctx, dispatcher, handshake));
    }

    /** The frame decoder's name: the handshake replaces it with one that takes full-size frames. */
    static final String FRAME_DECODER = "frameDecoder";

    /**
     * Refuses a connection past {@code --max-connections}: on a plaintext server with an ERROR frame
     * that says so, on a TLS server by closing it (saying anything would mean a TLS handshake, the
     * very cost the cap bounds). Logged at most once a second, with the count refused meanwhile.
     */
    private void refuse(SocketChannel ch) {
        long refused = refusedSinceLog.incrementAndGet();
        long now = System.nanoTime();
        if (now - lastRefusalLog > 1_000_000_000L) {
            lastRefusalLog = now;
            refusedSinceLog.addAndGet(-refused);
            log.warn("refusing connection from {}: {} connections open, the most --max-connections allows"
                    + " ({} refused in all since the last such line)", ch.remoteAddress(), maxConnections, refused);
        }
        if (ctx.security().tls().isPresent()) {
            ch.close();
            return;
        }
        ch.pipeline().addLast("frameEncoder", FrameEncoder.INSTANCE);
        ch.writeAndFlush(new Frame.Error(ErrorCode.CONFLICT, "server busy: " + maxConnections
                + " connections open, the most it takes (--max-connections); retry later"))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
