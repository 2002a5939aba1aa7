package io.ckpt.server.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * The HTTP pipeline, in order: TLS (when the server has a TLS identity), idle timeout (60 s), HTTP codec, keep-alive, aggregation of the
 * (small: only GET) request, then {@link HttpHandler}.
 */
final class HttpInitializer extends ChannelInitializer<SocketChannel> {
    /** Requests are GETs without a body; anything larger is refused by the aggregator (413). */
    static final int MAX_REQUEST = 64 << 10;

    private final HttpHandler.Routes routes;
    private final ChannelGroup connections;

    private final io.netty.handler.ssl.SslContext tls; // null: plain HTTP

    HttpInitializer(HttpHandler.Routes routes, ChannelGroup connections, io.netty.handler.ssl.SslContext tls) {
        this.routes = routes;
        this.connections = connections;
        this.tls = tls;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        connections.add(ch);
        if (tls != null) {
            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
        }
        ch.pipeline()
                .addLast("idle", new IdleStateHandler(0, 0, 60))
                .addLast("httpCodec", new HttpServerCodec())
                .addLast("keepAlive", new HttpServerKeepAliveHandler())
                .addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST))
                .addLast("http", new HttpHandler(routes));
    }
}
