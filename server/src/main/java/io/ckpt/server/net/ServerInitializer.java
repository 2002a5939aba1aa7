package io.ckpt.server.net;

import io.ckpt.protocol.codec.FrameDecoder;
import io.ckpt.protocol.codec.FrameEncoder;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * The whole server pipeline, in order: TLS (when the server has a TLS identity: {@link TlsDetector}
 * puts the {@code tls} handler in its place), idle timeout (a connection on which nothing was read or
 * written for that long, such as a stalled client, is dropped), frame deadline (a frame still
 * incomplete that long after its first byte, such as one trickled a byte at a time, drops the
 * connection), frame decoder (bounded frame size), frame encoder, then the connection's handler,
 * which also drops a client that sends no HELLO in time.
 */
public final class ServerInitializer extends ChannelInitializer<SocketChannel> {
    private final ServerContext ctx;

    public ServerInitializer(ServerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(2 << 20, 8 << 20));
        ctx.channels().add(ch);
        ctx.security().tls().ifPresent(tls -> ch.pipeline().addLast("tlsDetector", new TlsDetector(tls)));
        ch.pipeline()
                .addLast("idle", new IdleStateHandler(0, 0, ctx.idleTimeoutSeconds()))
                .addLast("frameDeadline", new FrameDeadlineHandler(ctx.frameTimeoutSeconds()))
                .addLast("frameDecoder", new FrameDecoder(ctx.maxFrame()))
                .addLast("frameEncoder", FrameEncoder.INSTANCE)
                .addLast("connection", new ConnectionHandler(ctx));
    }
}
