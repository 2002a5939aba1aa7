package io.ckpt.server.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.ProtocolVersion;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.protocol.codec.FrameDecoder;
import io.ckpt.protocol.codec.FrameEncoder;
import io.ckpt.security.ServerSecurity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The first frame of a connection, on an EmbeddedChannel with the pipeline's small pre-HELLO decoder. */
class HandshakeTest {
    private static final byte[] NO_AUTH = new byte[0];

    private static EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(ServerInitializer.FRAME_DECODER, new FrameDecoder(ServerInitializer.HELLO_MAX_FRAME))
                .addLast("connection", new ChannelInboundHandlerAdapter());
        return ch;
    }

    private static ChannelHandlerContext ctx(EmbeddedChannel ch) {
        return ch.pipeline().context("connection");
    }

    private static Handshake open() {
        return new Handshake(new ServerSecurity(null, null, null, false), ProtocolVersion.MAX, 8 << 20, "ds-1",
                Map.of("nodeB", "tb"));
    }

    @Test
    void helloOnAnOpenServerIsWelcomedWithTheHighestCommonVersionAndFullSizeFrames() throws Exception {
        EmbeddedChannel ch = channel();
        ChannelHandler small = ch.pipeline().get(ServerInitializer.FRAME_DECODER);
        Handshake.Welcomed w = open().check(ctx(ch), new Frame.Hello(1, 9, "ckpt test", "nodeA", NO_AUTH));
        assertNull(ch.readOutbound(), "check changes nothing");
        assertSame(small, ch.pipeline().get(ServerInitializer.FRAME_DECODER));
        open().welcome(ctx(ch), w);
        assertEquals(new Frame.Welcome(ProtocolVersion.MAX, "ds-1", 8 << 20), ch.readOutbound());
        assertEquals(ProtocolVersion.MAX, w.version());
        assertEquals("nodeA", w.host());
        assertFalse(w.principal().authenticated(), "no credential on an open server");
        assertEquals(w.principal().tenant(), w.tenant());
        assertNotSame(small, ch.pipeline().get(ServerInitializer.FRAME_DECODER), "a full-size decoder took its place");
    }

    @Test
    void anOpenServersHostIsInTheTenantItsConfigNames() throws Exception {
        EmbeddedChannel ch = channel();
        Handshake.Welcomed w = open().check(ctx(ch), new Frame.Hello(1, 1, "ckpt test", "nodeB", NO_AUTH));
        assertEquals("tb", w.tenant());
        assertEquals(1, w.version());
    }

    @Test
    void aHostIdPastTheLimitIsRefusedNamingIt() {
        EmbeddedChannel ch = channel();
        String longest = "h".repeat(io.ckpt.protocol.NameLimits.MAX_HOST);
        assertEquals(longest, assertDoesNotThrowCheck(ch, longest));
        RequestRefusedException e = assertThrows(RequestRefusedException.class,
                () -> open().check(ctx(ch), new Frame.Hello(1, 9, "ckpt test", "h".repeat(1000), NO_AUTH)));
        assertEquals(ErrorCode.BAD_REQUEST, e.code());
        assertTrue(e.getMessage().contains("host id") && e.getMessage().contains("1000")
                && e.getMessage().contains(String.valueOf(io.ckpt.protocol.NameLimits.MAX_HOST)), e.getMessage());
    }

    private static String assertDoesNotThrowCheck(EmbeddedChannel ch, String host) {
        try {
            return open().check(ctx(ch), new Frame.Hello(1, 9, "ckpt test", host, NO_AUTH)).host();
        } catch (RequestRefusedException e) {
            throw new AssertionError("a " + host.length() + "-character host id is within the limit", e);
        }
    }

    @Test
    void aFirstFrameThatIsNotHelloIsRefused() {
        EmbeddedChannel ch = channel();
        RequestRefusedException e = assertThrows(RequestRefusedException.class,
                () -> open().check(ctx(ch), new Frame.Request("{\"op\":\"list\"}")));
        assertEquals(ErrorCode.BAD_REQUEST, e.code());
        assertTrue(e.getMessage().contains("first frame must be HELLO"), e.getMessage());
        assertNull(ch.readOutbound(), "no WELCOME");
    }

    @Test
    void aClientWithNoVersionInCommonIsToldBothRanges() {
        EmbeddedChannel ch = channel();
        RequestRefusedException e = assertThrows(RequestRefusedException.class,
                () -> open().check(ctx(ch), new Frame.Hello(7, 9, "ckpt future", "nodeA", NO_AUTH)));
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, e.code());
        assertTrue(e.getMessage().contains("7..9"), e.getMessage());
        assertNull(ch.readOutbound());
    }

    @Test
    void aServerThatRequiresACredentialRefusesHelloWithoutOne() {
        EmbeddedChannel ch = channel();
        Handshake required = new Handshake(new ServerSecurity(null, null, null, true), ProtocolVersion.MAX, 8 << 20,
                "ds-1", Map.of());
        RequestRefusedException e = assertThrows(RequestRefusedException.class,
                () -> required.check(ctx(ch), new Frame.Hello(1, 2, "ckpt test", "nodeA", NO_AUTH)));
        assertEquals(ErrorCode.UNAUTHORIZED, e.code());
        assertNull(ch.readOutbound());
    }

    @Test
    void plaintextToATlsServerIsRefusedBeforeAnyTokenIsRead() {
        EmbeddedChannel ch = channel();
        ch.attr(TlsDetector.PLAINTEXT).set(true);
        RequestRefusedException e = assertThrows(RequestRefusedException.class, () -> open().check(ctx(ch),
                new Frame.Hello(1, 2, "ckpt test", "nodeA", "secret".getBytes(StandardCharsets.UTF_8))));
        assertEquals(ErrorCode.UNAUTHORIZED, e.code());
        assertTrue(e.getMessage().contains("requires TLS"), e.getMessage());
    }

    /** A REQUEST sent right behind HELLO, in the same bytes, reaches the connection as welcomed, after WELCOME went out. */
    @Test
    void aFrameSentRightBehindHelloIsReadAfterTheConnectionTookItsAnswerIn() {
        EmbeddedChannel encoder = new EmbeddedChannel(FrameEncoder.INSTANCE);
        encoder.writeOutbound(new Frame.Hello(1, 2, "ckpt test", "nodeA", NO_AUTH), new Frame.Request("{\"op\":\"list\"}"));
        ByteBuf bytes = Unpooled.buffer();
        for (ByteBuf b; (b = encoder.readOutbound()) != null; ) {
            bytes.writeBytes(b);
            b.release();
        }
        Handshake handshake = open();
        List<String> seen = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(ServerInitializer.FRAME_DECODER, new FrameDecoder(ServerInitializer.HELLO_MAX_FRAME))
                .addLast("connection", new ChannelInboundHandlerAdapter() {
                    private Handshake.Welcomed welcomed;

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                        if (welcomed == null) {
                            welcomed = handshake.check(ctx, (Frame) msg);
                            seen.add("hello");
                            handshake.welcome(ctx, welcomed);
                        } else {
                            seen.add(msg.getClass().getSimpleName() + " as " + welcomed.host() + " after "
                                    + ((EmbeddedChannel) ctx.channel()).outboundMessages().peek());
                        }
                    }
                });
        ch.writeInbound(bytes);
        assertEquals(List.of("hello", "Request as nodeA after " + new Frame.Welcome(2, "ds-1", 8 << 20)), seen);
        assertEquals(new Frame.Welcome(2, "ds-1", 8 << 20), ch.readOutbound());
    }
}
