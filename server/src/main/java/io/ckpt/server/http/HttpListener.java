package io.ckpt.server.http;

import io.ckpt.status.ServerMetrics;
import io.ckpt.status.StatusApi;
import io.ckpt.status.UsageHistory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bound HTTP listener, on the protocol listener's event loops, with two worker threads of
 * its own (scrapes and API reads never wait behind protocol requests), and the one-minute
 * sampler of datastore usage behind the status page's chart.
 */
public final class HttpListener implements AutoCloseable {
    static final long SAMPLE_EVERY_SECONDS = 60;

    private final Channel channel;
    private final ChannelGroup connections;
    private final ScheduledExecutorService workers;

    private HttpListener(Channel channel, ChannelGroup connections, ScheduledExecutorService workers) {
        this.channel = channel;
        this.connections = connections;
        this.workers = workers;
    }

    public static HttpListener bind(EventLoopGroup boss, EventLoopGroup io, InetSocketAddress address,
            ServerMetrics metrics, StatusApi api, UsageHistory usage) throws IOException {
        return bind(boss, io, address, metrics, api, usage, null, null);
    }

    /**
     * @param tls    serve HTTPS with this context (the server's TLS identity), or null for HTTP
     * @param bearer when not null, /metrics and /api/ answer only requests whose
     *               {@code Authorization: Bearer TOKEN} it accepts (401 otherwise)
     */
    public static HttpListener bind(EventLoopGroup boss, EventLoopGroup io, InetSocketAddress address,
            ServerMetrics metrics, StatusApi api, UsageHistory usage, io.netty.handler.ssl.SslContext tls,
            java.util.function.Predicate<String> bearer) throws IOException {
        AtomicInteger n = new AtomicInteger();
        ScheduledExecutorService workers = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ChannelGroup connections = new DefaultChannelGroup("http", GlobalEventExecutor.INSTANCE);
        try {
            Channel ch = new ServerBootstrap()
                    .group(boss, io)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new HttpInitializer(new HttpHandler.Routes(metrics, api, workers, bearer), connections, tls))
                    .bind(address)
                    .syncUninterruptibly()
                    .channel();
            workers.scheduleWithFixedDelay(usage::sample, 0, SAMPLE_EVERY_SECONDS, TimeUnit.SECONDS);
            return new HttpListener(ch, connections, workers);
        } catch (Exception e) {
            workers.shutdownNow();
            throw new IOException("cannot listen for http on " + address + ": " + e.getMessage(), e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownNow();
    }
}
