package io.ckpt.server.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ckpt.protocol.Frame;
import io.ckpt.protocol.codec.FrameDecoder;
import io.ckpt.protocol.codec.FrameEncoder;
import io.ckpt.protocol.codec.FrameFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The frame deadline on an EmbeddedChannel with its own clock: only a frame left incomplete too long expires. */
class FrameDeadlineHandlerTest {
    private final List<Object> events = new ArrayList<>();
    private final EmbeddedChannel ch = new EmbeddedChannel(new FrameDeadlineHandler(5),
            new FrameDecoder(FrameFormat.DEFAULT_MAX_FRAME), new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ReferenceCountUtil.release(msg);
                }

                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    events.add(evt);
                }
            });

    private static byte[] frame(int dataBytes) {
        EmbeddedChannel enc = new EmbeddedChannel(FrameEncoder.INSTANCE);
        enc.writeOutbound(new Frame.Data(Unpooled.wrappedBuffer(new byte[dataBytes])));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ByteBuf b;
        while ((b = enc.readOutbound()) != null) { // header and payload may come as separate buffers
            byte[] piece = new byte[b.readableBytes()];
            b.readBytes(piece);
            b.release();
            out.writeBytes(piece);
        }
        return out.toByteArray();
    }

    private void feed(byte[] bytes, int from, int to) {
        ch.writeInbound(Unpooled.wrappedBuffer(bytes, from, to - from));
    }

    private void advance(long seconds) {
        ch.advanceTimeBy(seconds, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void frameIncompleteForLongerThanTheDeadlineExpires() {
        byte[] f = frame(100);
        feed(f, 0, 10);
        advance(4);
        assertEquals(List.of(), events);
        feed(f, 10, 11); // a trickle does not restart the clock
        advance(2);
        assertEquals(List.of(new FrameDeadlineHandler.Expired(5)), events);
    }

    @Test
    void wholeFramesInTimeNeverExpireEvenWhenEachEndsPartOfTheNext() {
        byte[] f = frame(100);
        byte[] two = new byte[f.length * 2];
        System.arraycopy(f, 0, two, 0, f.length);
        System.arraycopy(f, 0, two, f.length, f.length);
        for (int round = 0; round < 5; round++) {
            feed(two, 0, f.length + 10); // one whole, the next begun
            advance(3);
            feed(two, f.length + 10, two.length);
            advance(3);
        }
        assertEquals(List.of(), events);
        feed(f, 0, 1);
        advance(6);
        assertEquals(1, events.size(), "a new frame begun after the last whole one has its own deadline");
    }

    @Test
    void deadlineIsPushedBackWhileTheServerItselfStopsReading() {
        byte[] f = frame(100);
        feed(f, 0, 10);
        ch.config().setAutoRead(false); // the ingest worker is behind: the client cannot finish the frame
        advance(6);
        assertEquals(List.of(), events);
        ch.config().setAutoRead(true);
        advance(6);
        assertEquals(List.of(new FrameDeadlineHandler.Expired(5)), events);
        assertNull(ch.readInbound());
    }
}
