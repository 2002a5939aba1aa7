package io.ckpt.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.ProtocolVersion;
import io.ckpt.protocol.codec.FrameDecoder;
import io.ckpt.protocol.codec.FrameEncoder;
import io.ckpt.protocol.codec.FrameFormat;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * A blocking client over one connection. Calls are made from one thread; frames are read by
 * Netty and handed over through {@link ClientHandler}.
 */
public final class CkptClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long REPLY_TIMEOUT_MS = 10 * 60 * 1000;

    private final EventLoopGroup group;
    private final Channel channel;
    private final ClientHandler handler;
    private final String server;
    private java.util.function.IntConsumer uploadWait;
    private SendPacer pacer;
    private final String hostId;
    /** The protocol version the handshake chose. */
    private int version;

    /**
     * System property capping the highest protocol version the client offers (default: the
     * highest it speaks), so that a test can run a client one version behind its server.
     */
    public static final String PROTOCOL_MAX_PROPERTY = "ckpt.protocol.max";

    private CkptClient(EventLoopGroup group, Channel channel, ClientHandler handler, String server, String hostId) {
        this.group = group;
        this.channel = channel;
        this.handler = handler;
        this.server = server;
        this.hostId = hostId;
    }

    /** The protocol version this connection speaks. */
    public int protocolVersion() {
        return version;
    }

    /** The host id sent in the handshake. */
    public String hostId() {
        return hostId;
    }

    /** The highest version to offer: {@link ProtocolVersion#MAX}, or lower if {@value #PROTOCOL_MAX_PROPERTY} says so. */
    static int offeredMax() {
        int cap = Integer.getInteger(PROTOCOL_MAX_PROPERTY, ProtocolVersion.MAX);
        return Math.max(ProtocolVersion.MIN, Math.min(ProtocolVersion.MAX, cap));
    }

    /** Connects to {@code host:port} in plaintext without credentials and shakes hands. */
    public static CkptClient connect(String hostPort, String hostId) throws IOException {
        return connect(hostPort, hostId, ClientCredentials.NONE);
    }

    /**
     * Connects to {@code host:port}, over TLS when {@code credentials} has a CA certificate, and
     * shakes hands, authenticating with its token or client certificate.
     */
    public static CkptClient connect(String hostPort, String hostId, ClientCredentials credentials) throws IOException {
        InetSocketAddress addr = parse(hostPort);
        if (credentials.token() != null && !credentials.tls() && !isLoopback(addr.getHostString())) {
            throw new ClientException(ErrorCode.UNAUTHORIZED, "a token is sent only over TLS: give the server's CA"
                    + " certificate (--tls-ca FILE, $CKPT_TLS_CA, server.tls-ca) to reach " + hostPort);
        }
        io.netty.handler.ssl.SslContext ssl = credentials.tls() ? credentials.sslContext() : null;
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
        CkptClient c = new CkptClient(group, ch, handler, hostPort, hostId);
        try {
            if (ssl != null) {
                var hs = ch.pipeline().get(io.netty.handler.ssl.SslHandler.class).handshakeFuture().awaitUninterruptibly();
                if (!hs.isSuccess()) {
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
            // With a client certificate the token only unlocks its key store and never leaves this host.
            byte[] auth = credentials.token() == null || credentials.clientKeyStore() != null ? new byte[0]
                    : credentials.token().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            c.write(new Frame.Hello(ProtocolVersion.MIN, offeredMax(), "ckpt-cli/0.1.0", hostId, auth), "handshake");
            Frame reply = c.expect(Frame.class, "handshake");
            if (!(reply instanceof Frame.Welcome w)) {
                throw new ClientException(ErrorCode.BAD_REQUEST, "unexpected reply to the handshake: " + reply);
            }
            if (w.version() < ProtocolVersion.MIN || w.version() > offeredMax()) {
                throw new ClientException(ErrorCode.UNSUPPORTED_VERSION, "the server chose protocol version " + w.version()
                        + ", this client speaks " + ProtocolVersion.MIN + ".." + offeredMax());
            }
            c.version = w.version();
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
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

    /** Sends a JSON request and returns the JSON response (waiting up to 10 minutes). */
    public JsonNode request(JsonNode request) throws IOException {
        return request(request, REPLY_TIMEOUT_MS);
    }

    /** Like {@link #request(JsonNode)}, for requests that may run longer (a relocation). */
    public JsonNode request(JsonNode request, long timeoutMillis) throws IOException {
        write(new Frame.Request(JSON.writeValueAsString(request)), "request " + request.path("op").asText());
        Frame.Response r = expect(Frame.Response.class, "request " + request.path("op").asText(), timeoutMillis);
        return JSON.readTree(r.json());
    }

    /** Starts an upload and returns the id the server gave the checkpoint. */
    public long beginUpload(String wpar, long takenAtMillis, String kind, List<String> labels) throws IOException {
        return beginUpload(new Frame.UploadBegin(wpar, takenAtMillis, kind, Frame.UploadBegin.MODE_STREAM, labels))
                .checkpointId();
    }

    /**
     * How an upload began: a new checkpoint id to fill, or, for a key whose checkpoint already
     * completed (a retry after a lost acknowledgement), that checkpoint and nothing to send.
     */
    public record Begun(long checkpointId, JsonNode alreadyCommitted) {
        public boolean isDuplicate() {
            return alreadyCommitted != null;
        }
    }

    /**
     * Asks the server to say when an upload waits for a slot, and hands each such notice
     * (how many uploads are ahead) to {@code listener} during {@link #beginUpload}. Without it, a
     * waiting upload just gets its UPLOAD_STARTED later (docs/PROTOCOL.md, "Waiting for a slot").
     */
    public void onUploadWait(java.util.function.IntConsumer listener) {
        this.uploadWait = listener;
    }

    /** Sends upload DATA no faster than {@code bytesPerSecond} (0: no limit). */
    public void rateLimit(long bytesPerSecond) {
        this.pacer = bytesPerSecond > 0 ? new SendPacer(bytesPerSecond) : null;
    }

    /** Nanoseconds the sender slept for {@link #rateLimit} so far. */
    public long throttledNanos() {
        return pacer == null ? 0 : pacer.sleptNanos();
    }

    public Begun beginUpload(Frame.UploadBegin begin) throws IOException {
        if (uploadWait != null) {
            write(new Frame.Request("{\"op\":\"upload_notices\"}"), "request upload_notices");
            Frame ack = expect(Frame.class, "request upload_notices");
            if (ack instanceof Frame.Error e && e.code() == ErrorCode.BAD_REQUEST) {
                uploadWait = null; // a server from before waiting turns: it says nothing while an upload waits
            } else if (!(ack instanceof Frame.Response)) {
                throw unexpected(ack, "request upload_notices");
            }
        }
        write(begin, "upload start");
        Frame f = expect(Frame.class, "upload start");
        while (f instanceof Frame.Response r && uploadWait != null) {
            JsonNode notice = JSON.readTree(r.json()).path("upload_queued");
            if (notice.isMissingNode()) {
                break;
            }
            uploadWait.accept(notice.path("ahead").asInt());
            f = expect(Frame.class, "upload start");
        }
        if (f instanceof Frame.UploadStarted s) {
            return new Begun(s.checkpointId(), null);
        }
        if (f instanceof Frame.UploadCommitted c) {
            JsonNode j = JSON.readTree(c.json());
            return new Begun(j.path("id").asLong(), j);
        }
        throw unexpected(f, "upload start");
    }

    /** Sends one part without data (directory, link). */
    public void sendEmptyPart(PartInfo part) throws IOException {
        send(new Frame.PartBegin(part));
        send(new Frame.PartEnd(0, ChunkDigest.sha256().digest()));
    }

    /**
     * Sends one part's bytes read from {@code in} until its end, and returns the byte count.
     * {@code progress} hears the bytes as they go.
     */
    public long sendPart(PartInfo part, InputStream in, LongConsumer progress) throws IOException {
        send(new Frame.PartBegin(part));
        MessageDigest sha = ChunkDigest.sha256();
        long total = 0;
        while (true) {
            ByteBuf buf = channel.alloc().heapBuffer(FrameFormat.MAX_DATA_PAYLOAD);
            int n;
            try {
                n = fill(in, buf);
            } catch (IOException e) {
                buf.release();
                throw new IOException("reading " + part.name() + ": " + e.getMessage(), e);
            }
            if (n == 0) {
                buf.release();
                break;
            }
            sha.update(buf.array(), buf.arrayOffset() + buf.readerIndex(), n);
            total += n;
            if (pacer != null) {
                try {
                    pacer.take(n);
                } catch (InterruptedException e) {
                    buf.release();
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
            send(new Frame.Data(buf));
            progress.accept(n);
        }
        send(new Frame.PartEnd(total, sha.digest()));
        return total;
    }

    private static int fill(InputStream in, ByteBuf buf) throws IOException {
        byte[] a = buf.array();
        int base = buf.arrayOffset();
        int cap = buf.capacity();
        int n = 0;
        while (n < cap) {
            int r = in.read(a, base + n, cap - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        buf.writerIndex(n);
        return n;
    }

    /** Starts a part; its data follows (DATA in stream mode, CHUNK_REFS in delta mode), then {@link #endPart}. */
    public void beginPart(PartInfo part) throws IOException {
        send(new Frame.PartBegin(part));
    }

    /** Ends the open part with its length and SHA-256. */
    public void endPart(long length, byte[] sha256) throws IOException {
        send(new Frame.PartEnd(length, sha256));
    }

    /** Delta mode: asks which of the digests (32 bytes each, at most 4096) the server lacks; bit set = missing. */
    public java.util.BitSet query(byte[] digests) throws IOException {
        Frame.ChunkQuery q = new Frame.ChunkQuery(digests);
        send(q);
        Frame.ChunkMissing m = expect(Frame.ChunkMissing.class, "chunk query");
        if (m.count() != q.count()) {
            throw new ClientException(ErrorCode.BAD_REQUEST, "the server answered a query of " + q.count()
                    + " digests for " + m.count());
        }
        return m.missing();
    }

    /** Delta mode: sends one chunk (not acknowledged), paced like DATA under a rate limit. */
    public void sendChunk(Frame.ChunkData chunk) throws IOException {
        if (pacer != null) {
            try {
                pacer.take(chunk.payload().length);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        send(chunk);
    }

    /** Delta mode: sends the open part's next chunk references (not acknowledged). */
    public void sendRefs(Frame.ChunkRefs refs) throws IOException {
        send(refs);
    }

    /** Commits the upload and returns the server's summary of the checkpoint. */
    public JsonNode commit() throws IOException {
        send(new Frame.UploadCommit());
        return JSON.readTree(expect(Frame.UploadCommitted.class, "commit").json());
    }

    public void abort(String reason) {
        if (channel.isActive()) {
            write(new Frame.UploadAbort(reason), "upload abort");
        }
    }

    /** Receives a restore, frame by frame. */
    public interface RestoreReceiver {
        void header(JsonNode checkpoint) throws IOException;

        void beginPart(PartInfo part) throws IOException;

        void data(ByteBuffer bytes) throws IOException;

        void endPart(long length, byte[] sha256) throws IOException;
    }

    public void restore(long checkpointId, RestoreReceiver r) throws IOException {
        write(new Frame.RestoreRequest(checkpointId), "restore of checkpoint " + checkpointId);
        Frame.Response header = expect(Frame.Response.class, "restore");
        r.header(JSON.readTree(header.json()).path("checkpoint"));
        receiveParts(checkpointId, r);
    }

    /**
     * Restores in one round trip (protocol version 3): sends the {@code restore} request with the
     * selector of {@code select} (a {@code select} request: wpar, id, at, latest, last_known_good,
     * resume, older_than_id) and returns, once the server has answered, the checkpoint it chose and
     * its parts; the data follows on {@link SelectedRestore#receive}. A refusal (NOT_FOUND, REFUSED)
     * is a {@link ClientException}, as for select.
     */
    public SelectedRestore restore(JsonNode select) throws IOException {
        if (!ProtocolVersion.hasRestoreSelector(version)) {
            throw new IllegalStateException("the restore request needs protocol version " + ProtocolVersion.V3
                    + "; this connection speaks " + version);
        }
        com.fasterxml.jackson.databind.node.ObjectNode req = ((com.fasterxml.jackson.databind.node.ObjectNode) select)
                .deepCopy().put("op", "restore");
        write(new Frame.Request(JSON.writeValueAsString(req)), "restore");
        JsonNode header = JSON.readTree(expect(Frame.Response.class, "restore").json());
        JsonNode checkpoint = header.path("checkpoint");
        long id = checkpoint.path("id").asLong();
        return new SelectedRestore(checkpoint, header.path("parts"), r -> {
            r.header(checkpoint);
            receiveParts(id, r);
        });
    }

    /** Hands a restore's frames to {@code r} until its RESTORE_END. */
    private void receiveParts(long checkpointId, RestoreReceiver r) throws IOException {
        while (true) {
            Frame f = expect(Frame.class, "restore of checkpoint " + checkpointId);
            if (f instanceof Frame.PartBegin p) {
                r.beginPart(p.part());
            } else if (f instanceof Frame.Data d) {
                try {
                    r.data(d.bytes().nioBuffer());
                } finally {
                    d.release();
                }
            } else if (f instanceof Frame.PartEnd e) {
                r.endPart(e.length(), e.sha256());
            } else if (f instanceof Frame.RestoreEnd) {
                return;
            } else {
                throw new ClientException(ErrorCode.BAD_REQUEST, "unexpected " + f.getClass().getSimpleName() + " during restore");
            }
        }
    }

    /**
     * Sends a {@code fetch} request (chunks of one part by sequence ranges) and returns the bytes
     * as a stream that ends at the server's RESTORE_END. Read it to its end before the next call.
     */
    public java.io.InputStream fetch(JsonNode request) throws IOException {
        write(new Frame.Request(JSON.writeValueAsString(request)), "fetch");
        expect(Frame.Response.class, "fetch");
        return new java.io.InputStream() {
            private Frame.Data current;
            private boolean ended;

            private boolean fill() throws IOException {
                while (!ended && (current == null || !current.bytes().isReadable())) {
                    if (current != null) {
                        current.release();
                        current = null;
                    }
                    Frame f = expect(Frame.class, "fetch");
                    if (f instanceof Frame.Data d) {
                        current = d;
                    } else if (f instanceof Frame.RestoreEnd) {
                        ended = true;
                    } else {
                        throw new ClientException(ErrorCode.BAD_REQUEST, "unexpected " + f.getClass().getSimpleName()
                                + " during a fetch");
                    }
                }
                return !ended;
            }

            @Override
            public int read() throws IOException {
                return fill() ? current.bytes().readByte() & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, current.bytes().readableBytes());
                current.bytes().readBytes(b, off, n);
                return n;
            }

            @Override
            public void close() {
                if (current != null) {
                    current.release();
                    current = null;
                }
            }
        };
    }

    /** Writes a frame, waiting while the socket is backed up; fails early if the server reported an error. */
    private void send(Frame f) throws IOException {
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
    private void write(Frame f, String what) {
        channel.writeAndFlush(f).addListener(done -> {
            if (!done.isSuccess()) {
                handler.writeFailed(what, done.cause());
            }
        });
    }

    private <T extends Frame> T expect(Class<T> type, String what) throws IOException {
        return expect(type, what, REPLY_TIMEOUT_MS);
    }

    private <T extends Frame> T expect(Class<T> type, String what, long timeoutMillis) throws IOException {
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

    private IOException unexpected(Object o, String what) {
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

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
