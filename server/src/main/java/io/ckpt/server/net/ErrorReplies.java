package io.ckpt.server.net;

import io.ckpt.errors.ErrorCodes;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ERROR frames a connection sends: the code and message {@link ErrorCodes} gives a failure, and
 * the server log line beside it (with a stack trace only for INTERNAL, a bug or an I/O failure the
 * client cannot fix).
 */
final class ErrorReplies {
    private static final Logger log = LoggerFactory.getLogger(ErrorReplies.class);
    /** How long a failed connection keeps reading (and dropping) what its client still sends, before it closes. */
    static final long LINGER_SECONDS = 10;

    private ErrorReplies() {}

    /** Answers a request that failed with its ERROR; the connection stays open. */
    static void reply(ChannelHandlerContext ctx, String peer, Throwable t) {
        ErrorCode code = ErrorCodes.codeOf(t);
        if (code == ErrorCode.INTERNAL) {
            log.error("request from {} failed", peer, t);
        } else {
            log.info("request from {} refused: {}", peer, t.getMessage());
        }
        ctx.writeAndFlush(new Frame.Error(code, ErrorCodes.messageOf(t)));
    }

    /**
     * Says why the connection fails, then half-closes it and closes it {@link #LINGER_SECONDS}
     * later: closing with unread bytes would make the kernel send a reset, which can destroy the
     * error in flight. The caller keeps reading and dropping what arrives meanwhile.
     * {@code where} names the upload that ends with it ("" if none).
     */
    static void failAndClose(ChannelHandlerContext ctx, String peer, String where, Throwable t) {
        ErrorCode code = ErrorCodes.codeOf(t);
        if (code == ErrorCode.INTERNAL) {
            log.error("connection from {}{} failed", peer, where, t);
        } else {
            log.warn("connection from {}{} failed: {}", peer, where, t.getMessage());
        }
        if (!ctx.channel().isActive()) {
            return;
        }
        ctx.writeAndFlush(new Frame.Error(code, ErrorCodes.messageOf(t))).addListener(f -> {
            if (ctx.channel() instanceof SocketChannel sc && f.isSuccess()) {
                sc.shutdownOutput();
                ctx.executor().schedule(() -> ctx.close(), LINGER_SECONDS, TimeUnit.SECONDS);
            } else {
                ctx.close();
            }
        });
    }
}
