package io.ckpt.agent.net;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.codec.FrameDecoder;
import io.ckpt.protocol.codec.FrameEncoder;
import io.ckpt.protocol.codec.FrameFormat;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One connection's transport: the socket (over TLS when the credentials carry a CA), the frame
 * codec, and frames in and out for the one calling thread. Inbound frames come through
 * {@link ClientHandler}'s queue; {@link #send} waits while the socket is backed up and fails early
 * when the server already reported an error. What the frames mean is the callers' business
 * ({@link CkptClient}, {@link UploadFrames}, {@link RestoreFrames}).
 */
final class ClientConnection {
    static final long REPLY_TIMEOUT_MS = 10 * 60 * 1000;

    private final EventLoopGroup group;
    private final Channel channel;
    private final ClientHandler handler;
    private final String server;

    private ClientConnection(EventLoopGroup group, Channel channel, ClientHandler handler, String server) {
        this.group = group;
        this.channel = channel;
        this.handler = handler;
        this.server = server;
    }

    /**
     * Connects to {@code hostPort}, over TLS when {@code credentials} has a CA certificate (the
     * TLS handshake done); the protocol's handshake is the caller's next step.
     */
    static ClientConnection open(String hostPort, ClientCredentials credentials) throws IOException {
        InetSocketAddress addr = parse(hostPort);
        if (credentials.token() != null && !credentials.tls() && !isLoopback(addr.getHostString())) {
            throw new ClientException(ErrorCode.UNAUTHORIZED, "a token is sent only over TLS: give the server's CA"
                    + " certificate (--tls-ca FILE, $CKPT_TLS_CA, server.tls-ca) to reach " + hostPort);
        }
        SslContext ssl = credentials.tls() ? credentials.sslContext() : null;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ClientHandler handler = new ClientHandler();
        Channel ch;
        try {
            ChannelFuture f = new Bootstrap()
                    .group(group)
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(2 << 20, 8 << 20))
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            if (ssl != null) {
                                c.pipeline().addLast("tls", ssl.newHandler(c.alloc(), addr.getHostString(), addr.getPort()));
                            }
                            c.pipeline()
                                    .addLast("frameDecoder", new FrameDecoder(FrameFormat.DEFAULT_MAX_FRAME))
                                    .addLast("frameEncoder", FrameEncoder.INSTANCE)
                                    .addLast("client", handler);
                        }
                    })
                    .connect(addr)
                    .awaitUninterruptibly();
            if (!f.isSuccess()) {
                throw f.cause();
            }
            ch = f.channel();
        } catch (Throwable t) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw ClientException.unreachable("cannot reach the ckpt server at " + hostPort + " (" + t.getMessage()
                    + "); is it running? Start it with 'ckpt server', or give --server HOST:PORT", t);
        }
        ClientConnection c = new ClientConnection(group, ch, handler, hostPort);
        if (ssl != null) {
            var hs = ch.pipeline().get(SslHandler.class).handshakeFuture().awaitUninterruptibly();
            if (!hs.isSuccess()) {
                c.close();
                Throwable t = hs.cause();
                while (t.getCause() != null && t.getCause() != t) {
                    t = t.getCause();
                }
                throw new ClientException(ErrorCode.UNAUTHORIZED, "TLS handshake with the ckpt server at " + hostPort
                        + " failed (" + t.getMessage() + "): is " + credentials.caCertificate()
                        + " its CA certificate, is " + addr.getHostString() + " among the names in its certificate"
                        + " (ckpt server init --name), and does it speak TLS?");
            }
        }
        return c;
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }

    static InetSocketAddress parse(String hostPort) throws ClientException {
        int colon = hostPort.lastIndexOf(':');
        try {
            if (colon <= 0) {
                throw new NumberFormatException();
            }
            String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
            return InetSocketAddress.createUnresolved(host, Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new ClientException(ErrorCode.BAD_REQUEST, "server address '" + hostPort + "' is not HOST:PORT");
        }
    }

    /** Buffers for outgoing DATA. */
    ByteBufAllocator alloc() {
        return channel.alloc();
    }

    boolean isActive() {
        return channel.isActive();
    }

    /** Writes a frame, waiting while the socket is backed up; fails early if the server reported an error. */
    void send(Frame f) throws IOException {
        Object early = handler.poll();
        if (early != null) {
            if (early instanceof Frame.Data d) {
                d.release();
            }
            throw unexpected(early, "upload");
        }
        try {
            handler.awaitWritable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        Object error = handler.poll();
        if (error != null) {
            if (f instanceof Frame.Data d) {
                d.release();
            }
            throw unexpected(error, "upload");
        }
        if (!channel.isActive()) {
            if (f instanceof Frame.Data d) {
                d.release();
            }
            throw lost("upload");
        }
        write(f, "upload");
    }

    /**
     * Writes and flushes {@code f}; a write that fails (a frame the encoder refuses, a closed
     * socket) puts its cause in the inbound queue, so that the request waiting for an answer fails
     * at once with it instead of waiting for an answer that cannot come.
     */
    void write(Frame f, String what) {
        channel.writeAndFlush(f).addListener(done -> {
            if (!done.isSuccess()) {
                handler.writeFailed(what, done.cause());
            }
        });
    }

    <T extends Frame> T expect(Class<T> type, String what) throws IOException {
        return expect(type, what, REPLY_TIMEOUT_MS);
    }

    <T extends Frame> T expect(Class<T> type, String what, long timeoutMillis) throws IOException {
        Object o;
        try {
            o = handler.next(timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (o == null) {
            throw new ClientException(ErrorCode.INTERNAL, "no answer from the server within "
                    + timeoutMillis / 1000 + " s during " + what);
        }
        if (type.isInstance(o) && !(o instanceof Frame.Error)) {
            return type.cast(o);
        }
        throw unexpected(o, what);
    }

    /** What the caller reports for {@code o}, an inbound item it did not expect during {@code what}. */
    IOException unexpected(Object o, String what) {
        if (o instanceof Frame.Error e) {
            return new ClientException(e.code(), e.message());
        }
        if (o == ClientHandler.CLOSED) {
            return lost(what);
        }
        if (o instanceof ClientHandler.WriteFailure w) {
            return w.exception(server);
        }
        return new ClientException(ErrorCode.BAD_REQUEST, "unexpected " + o.getClass().getSimpleName() + " frame during " + what);
    }

    private IOException lost(String what) {
        // The server usually says why before it closes (disk full, bad data): report that instead.
        for (Object o = handler.poll(); o != null && o != ClientHandler.CLOSED; o = handler.poll()) {
            if (o instanceof Frame.Error e) {
                return new ClientException(e.code(), e.message());
            }
            if (o instanceof ClientHandler.WriteFailure w) {
                return w.exception(server);
            }
            ReferenceCountUtil.release(o);
        }
        Throwable t = handler.failure();
        return ClientException.unreachable("connection to the ckpt server at " + server + " lost during " + what
                + (t != null ? " (" + t.getMessage() + ")" : ""), t);
    }

    void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
