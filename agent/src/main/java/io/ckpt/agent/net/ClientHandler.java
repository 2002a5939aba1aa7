package io.ckpt.agent.net;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Hands inbound frames to the calling thread through a queue. When the caller falls behind (a
 * slow disk during restore), the socket stops being read, so the server's sends block instead of
 * the client's heap growing.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {
    private static final int HIGH = 32;
    private static final int LOW = 8;
    /** Marks the end of the connection in the queue. */
    static final Object CLOSED = new Object();

    private final LinkedBlockingQueue<Object> inbound = new LinkedBlockingQueue<>();
    private final Object writable = new Object();
    private volatile ChannelHandlerContext ctx;
    private volatile Throwable failure;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        inbound.add(msg);
        if (msg instanceof Frame.Error) {
            synchronized (writable) {
                writable.notifyAll(); // a sender blocked on a full socket must hear it
            }
        }
        if (inbound.size() > HIGH) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** A write that failed: what was being sent, and why. */
    record WriteFailure(String what, Throwable cause) {
        /** The failure as the caller reports it, naming what was sent and the root cause. */
        ClientException exception(String server) {
            Throwable root = cause;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String why = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
            return new ClientException(ErrorCode.INTERNAL, "could not send the " + what + " to the ckpt server at "
                    + server + ": " + why);
        }
    }

    /**
     * Called when a write fails: the waiting caller gets {@code cause} as its next item instead of
     * an answer that will not come (a frame the encoder refused), and a sender blocked on a full
     * socket wakes up. A write that failed because the connection broke is left to
     * {@link #channelInactive}, so that it still reads as a lost connection.
     */
    void writeFailed(String what, Throwable cause) {
        if (cause instanceof java.io.IOException) {
            // The connection broke (reset, closed): channelInactive queues CLOSED and the caller
            // reports a lost connection (exit 4) with this cause, as for any other drop.
            if (failure == null) {
                failure = cause;
            }
            return;
        }
        inbound.add(new WriteFailure(what, cause));
        synchronized (writable) {
            writable.notifyAll();
        }
    }

    /** The next frame, a {@link WriteFailure}, or {@link #CLOSED}; waits at most {@code timeoutMillis}, returns null on timeout. */
    Object next(long timeoutMillis) throws InterruptedException {
        Object o = inbound.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        if (inbound.size() < LOW && ctx != null && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
        if (o == CLOSED) {
            inbound.add(CLOSED); // every later call sees the end too
        }
        return o;
    }

    /** A frame that is already waiting, without blocking; null when there is none. */
    Object poll() {
        Object o = inbound.peek();
        return o == null ? null : inbound.poll();
    }

    Throwable failure() {
        return failure;
    }

    /** Waits while the socket is backed up; returns early when the connection ends or the server sent an error. */
    void awaitWritable() throws InterruptedException {
        synchronized (writable) {
            while (ctx != null && ctx.channel().isActive() && !ctx.channel().isWritable()
                    && !(inbound.peek() instanceof Frame.Error) && !(inbound.peek() instanceof WriteFailure)) {
                writable.wait(1000);
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        synchronized (writable) {
            writable.notifyAll();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inbound.add(CLOSED);
        synchronized (writable) {
            writable.notifyAll();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failure = cause;
        ctx.close();
    }
}
