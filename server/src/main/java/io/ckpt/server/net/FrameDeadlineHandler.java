package io.ckpt.server.net;

import io.ckpt.protocol.codec.FrameDecoder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Drops a client that trickles a frame: a frame must be whole within a deadline of its first
 * byte arriving. The idle handler does not catch this, since a byte now and then keeps the
 * connection from being idle (slow-loris). Sits before the frame decoder and asks it, after
 * each read, whether it holds part of a frame; on expiry it fires {@link Expired}, which the
 * connection's handler turns into an error and a close.
 *
 * <p>While the server itself stops reading (auto-read off: the ingest worker is behind), the
 * client cannot finish its frame, so the deadline is pushed back instead.
 */
final class FrameDeadlineHandler extends ChannelInboundHandlerAdapter {
    /** The user event fired when a frame was not whole in time. */
    record Expired(int seconds) {}

    private final int seconds;
    private FrameDecoder decoder;
    private ScheduledFuture<?> timer;
    private long armedAt; // frames decoded when the timer was set: another frame since means a new frame began

    FrameDeadlineHandler(int seconds) {
        this.seconds = seconds;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        decoder = ctx.pipeline().get(FrameDecoder.class);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.fireChannelRead(msg);
        if (decoder == null || ctx.pipeline().context(decoder) == null) {
            decoder = ctx.pipeline().get(FrameDecoder.class); // the handshake put a full-size decoder in its place
        }
        if (decoder == null || !decoder.midFrame()) {
            cancel();
        } else if (timer == null || decoder.framesDecoded() != armedAt) {
            cancel();
            arm(ctx);
        }
    }

    private void arm(ChannelHandlerContext ctx) {
        armedAt = decoder.framesDecoded();
        timer = ctx.executor().schedule(() -> expire(ctx), seconds, TimeUnit.SECONDS);
    }

    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        if (!ctx.channel().isActive() || !decoder.midFrame() || decoder.framesDecoded() != armedAt) {
            return;
        }
        if (!ctx.channel().config().isAutoRead()) {
            arm(ctx); // our back-pressure, not the client's slowness
            return;
        }
        ctx.fireUserEventTriggered(new Expired(seconds));
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }
}
