package io.ckpt.server.net;

import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.restore.RestoreSink;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.io.IOException;

/** A restore going out on a connection, waiting for the peer whenever the socket is backed up. */
final class ChannelRestoreSink implements RestoreSink {
    interface Gate {
        void await() throws IOException;
    }

    private final ChannelHandlerContext ctx;
    private final Gate gate;

    ChannelRestoreSink(ChannelHandlerContext ctx, Gate gate) {
        this.ctx = ctx;
        this.gate = gate;
    }

    @Override
    public void beginPart(PartInfo part) throws IOException {
        gate.await();
        ctx.writeAndFlush(new Frame.PartBegin(part));
    }

    @Override
    public ByteBuf allocate(int capacity) {
        return ctx.alloc().heapBuffer(capacity, capacity);
    }

    @Override
    public void data(ByteBuf bytes) throws IOException {
        try {
            gate.await();
        } catch (IOException e) {
            bytes.release();
            throw e;
        }
        ctx.writeAndFlush(new Frame.Data(bytes));
    }

    @Override
    public void endPart(long length, byte[] sha256) throws IOException {
        gate.await();
        ctx.writeAndFlush(new Frame.PartEnd(length, sha256));
    }
}
