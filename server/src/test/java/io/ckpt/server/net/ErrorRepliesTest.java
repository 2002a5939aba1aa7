package io.ckpt.server.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.catalog.NotFoundException;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.store.StoreException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The ERROR frames a connection sends for a failed request and for a failed connection. */
class ErrorRepliesTest {
    private static ChannelHandlerContext context(EmbeddedChannel ch) {
        return ch.pipeline().context("connection");
    }

    private static EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast("connection", new ChannelInboundHandlerAdapter());
        return ch;
    }

    @Test
    void aFailedRequestIsAnsweredWithItsCodeAndMessageAndTheConnectionStaysOpen() {
        EmbeddedChannel ch = channel();
        ErrorReplies.reply(context(ch), "peer", new NotFoundException("no checkpoint with id 7"));
        ErrorReplies.reply(context(ch), "peer", new RequestRefusedException(ErrorCode.REFUSED, "host nodeB may not mark WPAR a1"));
        ErrorReplies.reply(context(ch), "peer", new StoreException.Corrupt("pack 3 offset 9: digest mismatch"));
        ErrorReplies.reply(context(ch), "peer", new IOException("pipe burst"));
        assertEquals(new Frame.Error(ErrorCode.NOT_FOUND, "no checkpoint with id 7"), ch.readOutbound());
        assertEquals(new Frame.Error(ErrorCode.REFUSED, "host nodeB may not mark WPAR a1"), ch.readOutbound());
        assertEquals(new Frame.Error(ErrorCode.CORRUPT, "pack 3 offset 9: digest mismatch"), ch.readOutbound());
        assertEquals(new Frame.Error(ErrorCode.INTERNAL, "server error: pipe burst (details in the server log)"), ch.readOutbound());
        assertTrue(ch.isOpen());
    }

    @Test
    void aFailedConnectionSaysWhyThenCloses() {
        EmbeddedChannel ch = channel();
        ErrorReplies.failAndClose(context(ch), "peer", " (WPAR a1, checkpoint 4)",
                new RequestRefusedException(ErrorCode.FENCED, "WPAR a1 moved to nodeB at epoch 2"));
        assertEquals(new Frame.Error(ErrorCode.FENCED, "WPAR a1 moved to nodeB at epoch 2"), ch.readOutbound());
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "not a socket: closed at once after the error");
    }
}
