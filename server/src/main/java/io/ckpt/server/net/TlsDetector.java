package io.ckpt.server.net;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.OptionalSslHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AttributeKey;

/**
 * First on a TLS server's pipeline: a connection that starts with a TLS record gets the
 * {@code tls} handler; one that starts in plaintext (a client without the CA certificate) is
 * marked {@link #PLAINTEXT}, so that its HELLO is answered with a readable UNAUTHORIZED error
 * instead of a reset.
 */
final class TlsDetector extends OptionalSslHandler {
    static final AttributeKey<Boolean> PLAINTEXT = AttributeKey.valueOf("ckpt.plaintext");

    TlsDetector(SslContext tls) {
        super(tls);
    }

    @Override
    protected String newSslHandlerName() {
        return "tls";
    }

    @Override
    protected ChannelHandler newNonSslHandler(ChannelHandlerContext ctx) {
        ctx.channel().attr(PLAINTEXT).set(true);
        return null;
    }
}
