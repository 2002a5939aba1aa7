package io.ckpt.server.net;

import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.LabelDao;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.ingest.IngestException;
import io.ckpt.ingest.IngestSession;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.ProtocolVersion;
import io.ckpt.query.CatalogQueries;
import io.ckpt.store.StoreException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection: handshake first, then uploads, requests and restores. Not sharable: it holds
 * the connection's state.
 *
 * <p>The event loop never touches disk or catalog. Upload frames go, in order, to one ingest
 * worker; while more than {@link #HIGH_WATER} bytes wait for it, the socket is not read, so a slow
 * disk slows the sender instead of growing the heap. Requests and restores run on the restore
 * workers; a restore waits whenever the socket's outbound buffer is full.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
    static final long HIGH_WATER = 16L << 20;
    static final long LOW_WATER = 4L << 20;

    private final ServerContext server;
    private final Object writable = new Object();
    private EventExecutor worker;
    private ChannelHandlerContext ctx;
    private boolean welcomed;
    private String host = "";
    /** The protocol version the handshake chose. */
    private volatile int version;
    /**
     * The connection's dedup scope for delta uploads (docs/PROTOCOL.md, "Dedup scope"). Set at the
     * handshake from the server's host-to-tenant map ({@code --tenant}); credentials will set it
     * through {@link #tenant(String)} instead.
     */
    private volatile String tenant = io.ckpt.ingest.IngestSession.DEFAULT_TENANT;
    private long pending; // bytes queued for the worker; guarded by this
    /** Touched only on the worker thread. */
    private IngestSession session;
    private volatile boolean failed;
    /** Why the connection failed, for the upload that ends with it. */
    private volatile String failure;

    ConnectionHandler(ServerContext server) {
        this.server = server;
    }

    /** Sets the tenant whose dedup scope this connection's delta uploads use. */
    void tenant(String tenant) {
        this.tenant = java.util.Objects.requireNonNull(tenant);
    }

    String tenant() {
        return tenant;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.worker = server.ingestWorkers().next();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Frame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!welcomed) {
            handshake(frame);
            return;
        }
        if (frame instanceof Frame.Data d) {
            int size = d.bytes().readableBytes();
            queued(size);
            worker.execute(() -> {
                try {
                    if (!failed) {
                        requireSession("data").data(d.bytes());
                    }
                } catch (Throwable t) {
                    fail(t);
                } finally {
                    d.release();
                    drained(size);
                }
            });
        } else if (frame instanceof Frame.ChunkData d) {
            int size = d.payload().length;
            queued(size);
            worker.execute(() -> {
                try {
                    if (!failed) {
                        requireDelta("CHUNK_DATA").chunkData(d);
                    }
                } catch (Throwable t) {
                    fail(t);
                } finally {
                    drained(size);
                }
            });
        } else if (frame instanceof Frame.ChunkQuery q) {
            onWorker(() -> ctx.writeAndFlush(new Frame.ChunkMissing(q.count(), requireDelta("CHUNK_QUERY").missing(q))));
        } else if (frame instanceof Frame.ChunkRefs r) {
            onWorker(() -> requireDelta("CHUNK_REFS").chunkRefs(r));
        } else if (frame instanceof Frame.UploadBegin b) {
            onWorker(() -> {
                if (session != null) {
                    throw new IngestException(ErrorCode.BAD_REQUEST, "upload begun while checkpoint "
                            + session.checkpointId() + " is still uploading");
                }
                if (b.mode() == Frame.UploadBegin.MODE_DELTA && !ProtocolVersion.hasDelta(version)) {
                    throw new IngestException(ErrorCode.BAD_REQUEST, "upload mode 1 (delta) needs protocol version "
                            + ProtocolVersion.V2 + "; this connection speaks version " + version);
                }
                if (b.mode() != Frame.UploadBegin.MODE_STREAM && b.mode() != Frame.UploadBegin.MODE_DELTA) {
                    throw new IngestException(ErrorCode.BAD_REQUEST, "upload mode " + b.mode()
                            + " is not supported by this server (0 stream, 1 delta)");
                }
                if (!b.key().isEmpty()) {
                    var done = server.catalog().read(h -> h.attach(io.ckpt.catalog.CheckpointDao.class)
                            .findByKey(b.wpar(), b.key())).filter(CheckpointRow::isComplete);
                    if (done.isPresent()) {
                        // A retry after a lost acknowledgement: the checkpoint exists, say so again.
                        CheckpointRow row = done.get();
                        var json = CatalogQueries.checkpointJson(row,
                                server.catalog().read(h -> h.attach(LabelDao.class).of(row.id())));
                        json.put("duplicate", true);
                        log.info("upload key {} of WPAR {} is checkpoint {}, already complete: acknowledged again",
                                b.key(), b.wpar(), row.id());
                        ctx.writeAndFlush(new Frame.UploadCommitted(CatalogQueries.toJson(json)));
                        return;
                    }
                }
                if (!server.uploadPermits().tryAcquire()) {
                    throw new IngestException(ErrorCode.CONFLICT, "server busy: " + server.maxUploads()
                            + " uploads in progress, the most it takes (--max-uploads); retry later");
                }
                try {
                    session = IngestSession.begin(server.datastore(), server.catalog(), server.packs(), server.chunker(),
                            b.wpar(), b.takenAtMillis(), b.kind(), b.labels(), host, b.key(), b.health(), b.healthReason(),
                            tenant, b.mode() == Frame.UploadBegin.MODE_DELTA);
                } catch (Throwable t) {
                    server.uploadPermits().release();
                    throw t;
                }
                log.info("{} upload of checkpoint {} for WPAR {} from {} started", session.isDelta() ? "delta" : "stream",
                        session.checkpointId(), b.wpar(), peer());
                ctx.writeAndFlush(new Frame.UploadStarted(session.checkpointId()));
            });
        } else if (frame instanceof Frame.PartBegin p) {
            onWorker(() -> requireSession("part").beginPart(p.part()));
        } else if (frame instanceof Frame.PartEnd e) {
            onWorker(() -> requireSession("part end").endPart(e.length(), e.sha256()));
        } else if (frame instanceof Frame.UploadCommit) {
            onWorker(() -> {
                IngestSession s = requireSession("commit");
                IngestSession.Committed c;
                try {
                    c = s.commit();
                } catch (Throwable t) {
                    endSession("commit failed: " + messageOf(t));
                    throw t;
                }
                endSession(null);
                server.metrics().committed(c.logicalBytes(), c.storedBytes(), c.durationMillis());
                log.info("checkpoint {} of WPAR {} complete: {} bytes, {} new stored bytes, {} of {} chunks new, {} ms",
                        c.id(), c.wpar(), c.logicalBytes(), c.storedBytes(), c.newChunks(), c.chunks(), c.durationMillis());
                CheckpointRow row = server.restorer().checkpoint(c.id());
                var json = CatalogQueries.checkpointJson(row,
                        server.catalog().read(h -> h.attach(LabelDao.class).of(c.id())));
                json.put("duration_ms", c.durationMillis());
                ctx.writeAndFlush(new Frame.UploadCommitted(CatalogQueries.toJson(json)));
            });
        } else if (frame instanceof Frame.UploadAbort a) {
            onWorker(() -> {
                if (session != null) {
                    log.info("upload of checkpoint {} aborted by the client: {}", session.checkpointId(), a.reason());
                    session.abort();
                    endSession("aborted by the client: " + a.reason());
                }
            });
        } else if (frame instanceof Frame.Request r) {
            com.fasterxml.jackson.databind.JsonNode req = parseQuietly(r.json());
            String op = req.path("op").asText("");
            if (op.equals("poll")) {
                try {
                    server.hosts().poll(req.path("host").asText(host), req, peer(),
                            json -> ctx.writeAndFlush(new Frame.Response(json)));
                } catch (Throwable t) {
                    reply(t);
                }
                return;
            }
            if (op.equals("task_result")) {
                server.hosts().result(req.path("host").asText(host), req);
                ctx.writeAndFlush(new Frame.Response("{\"ok\":true}"));
                return;
            }
            if (op.equals("fetch")) {
                server.restoreWorkers().execute(() -> fetch(req));
                return;
            }
            if (io.ckpt.control.ControlRequests.OPS.contains(op)) {
                server.restoreWorkers().execute(() -> {
                    try {
                        ctx.writeAndFlush(new Frame.Response(CatalogQueries.toJson(server.control().handle(req))));
                    } catch (Throwable t) {
                        reply(t);
                    }
                });
                return;
            }
            (CatalogQueries.isLong(r.json()) ? server.restoreWorkers() : server.requestWorkers()).execute(() -> {
                try {
                    ctx.writeAndFlush(new Frame.Response(server.queries().handle(r.json())));
                } catch (Throwable t) {
                    reply(t);
                }
            });
        } else if (frame instanceof Frame.RestoreRequest r) {
            server.restoreWorkers().execute(() -> restore(r.checkpointId()));
        } else {
            fail(new IngestException(ErrorCode.BAD_REQUEST, "unexpected " + frame.getClass().getSimpleName() + " frame"));
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode parseQuietly(String json) {
        try {
            return CatalogQueries.mapper().readTree(json);
        } catch (java.io.IOException e) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance(); // CatalogQueries names the error
        }
    }

    private void handshake(Frame frame) {
        if (!(frame instanceof Frame.Hello hello)) {
            ReferenceCountUtil.release(frame);
            fail(new IngestException(ErrorCode.BAD_REQUEST, "the first frame must be HELLO"));
            return;
        }
        int chosen = ProtocolVersion.negotiate(ProtocolVersion.MIN, server.protocolMax(), hello.minVersion(), hello.maxVersion());
        if (chosen < 0) {
            fail(new IngestException(ErrorCode.UNSUPPORTED_VERSION, "client speaks protocol versions "
                    + hello.minVersion() + ".." + hello.maxVersion() + ", this server " + ProtocolVersion.MIN + ".."
                    + server.protocolMax() + ": upgrade the older side"));
            return;
        }
        welcomed = true;
        version = chosen;
        host = hello.hostId();
        tenant = server.tenantByHost().getOrDefault(host, tenant);
        ctx.writeAndFlush(new Frame.Welcome(version, server.datastore().id(), server.maxFrame()));
    }

    private interface Step {
        void run() throws Exception;
    }

    private void onWorker(Step step) {
        worker.execute(() -> {
            if (failed) {
                return;
            }
            try {
                step.run();
            } catch (Throwable t) {
                fail(t);
            }
        });
    }

    /**
     * Forgets the finished (committed or aborted) session and frees its upload slot; {@code failure}
     * (null after a commit) is counted against the WPAR in the metrics. Worker thread only.
     */
    private void endSession(String failure) {
        if (session != null) {
            if (failure != null) {
                server.metrics().uploadFailed(session.wpar(), failure);
            }
            session = null;
            server.uploadPermits().release();
        }
    }

    /** The session of a delta upload, for a delta frame; refused on a version 1 connection. */
    private IngestSession requireDelta(String frame) throws IngestException {
        if (!ProtocolVersion.hasDelta(version)) {
            throw new IngestException(ErrorCode.BAD_REQUEST, frame + " needs protocol version " + ProtocolVersion.V2
                    + "; this connection speaks version " + version);
        }
        return requireSession(frame);
    }

    private IngestSession requireSession(String what) throws IngestException {
        if (session == null) {
            throw new IngestException(ErrorCode.BAD_REQUEST, what + " without an upload in progress");
        }
        return session;
    }

    /**
     * {@code {"op":"fetch","id":ID,"part":SEQ,"ranges":[[from,to],...]}}: RESPONSE, then the
     * chunks in those ranges as DATA, then RESTORE_END (docs/PROTOCOL.md, "fetch").
     */
    private void fetch(com.fasterxml.jackson.databind.JsonNode req) {
        long id = req.path("id").asLong(-1);
        server.readers().acquire(id);
        try {
            CheckpointRow cp = server.restorer().checkpoint(id);
            java.util.List<long[]> ranges = new java.util.ArrayList<>();
            for (var r : req.path("ranges")) {
                ranges.add(new long[] {r.path(0).asLong(-1), r.path(1).asLong(-1)});
            }
            int part = req.path("part").asInt(-1);
            ctx.writeAndFlush(new Frame.Response("{\"id\":" + id + ",\"part\":" + part + "}"));
            long sent = server.restorer().fetch(cp, part, ranges, new ChannelRestoreSink(ctx, this::awaitWritable));
            ctx.writeAndFlush(new Frame.RestoreEnd(id));
            log.debug("fetch of {} bytes of checkpoint {} part {} to {}", sent, id, part, peer());
        } catch (Throwable t) {
            if (t instanceof ClosedChannelException) {
                return;
            }
            reply(t);
        } finally {
            server.readers().release(id);
        }
    }

    private void restore(long id) {
        server.readers().acquire(id); // before reading the row: prune then either sees it in use or removed it already
        try {
            CheckpointRow cp = server.restorer().checkpoint(id);
            var header = new com.fasterxml.jackson.databind.node.ObjectNode(CatalogQueries.mapper().getNodeFactory());
            header.set("checkpoint", CatalogQueries.checkpointJson(cp,
                    server.catalog().read(h -> h.attach(LabelDao.class).of(id))));
            ctx.writeAndFlush(new Frame.Response(CatalogQueries.toJson(header)));
            log.info("restore of checkpoint {} (WPAR {}) to {} started", id, cp.wpar(), peer());
            long start = System.nanoTime();
            server.restorer().restore(cp, new ChannelRestoreSink(ctx, this::awaitWritable));
            ctx.writeAndFlush(new Frame.RestoreEnd(id));
            long nanos = System.nanoTime() - start;
            server.metrics().restored(cp.logicalBytes(), nanos);
            log.info("restore of checkpoint {} done: {} bytes in {} ms", id, cp.logicalBytes(), nanos / 1_000_000);
        } catch (Throwable t) {
            server.metrics().restoreFailed();
            if (t instanceof ClosedChannelException) {
                log.info("restore of checkpoint {} stopped: {} disconnected", id, peer());
                return;
            }
            reply(t);
        } finally {
            server.readers().release(id);
        }
    }

    /** Blocks the restore thread while the socket's outbound buffer is above its high water mark. */
    private void awaitWritable() throws IOException {
        synchronized (writable) {
            while (!ctx.channel().isWritable()) {
                if (!ctx.channel().isActive()) {
                    throw new ClosedChannelException();
                }
                try {
                    writable.wait(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("restore interrupted");
                }
            }
        }
        if (!ctx.channel().isActive()) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        synchronized (writable) {
            writable.notifyAll();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private synchronized void queued(int size) {
        pending += size;
        if (pending > HIGH_WATER && ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    private synchronized void drained(int size) {
        pending -= size;
        if (pending < LOW_WATER && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Sends the error for a request that failed; the connection stays open. */
    private void reply(Throwable t) {
        ErrorCode code = codeOf(t);
        if (code == ErrorCode.INTERNAL) {
            log.error("request from {} failed", peer(), t);
        } else {
            log.info("request from {} refused: {}", peer(), t.getMessage());
        }
        ctx.writeAndFlush(new Frame.Error(code, messageOf(t)));
    }

    /** Sends the error and closes the connection: an upload that failed cannot be continued. */
    private void fail(Throwable t) {
        if (failed) {
            return;
        }
        failed = true;
        failure = messageOf(t);
        ErrorCode code = codeOf(t);
        String where = session != null ? " (WPAR " + session.wpar() + ", checkpoint " + session.checkpointId() + ")" : "";
        if (code == ErrorCode.INTERNAL) {
            log.error("connection from {}{} failed", peer(), where, t);
        } else {
            log.warn("connection from {}{} failed: {}", peer(), where, t.getMessage());
        }
        if (ctx.channel().isActive()) {
            // Say why, then half-close and keep reading (and dropping) what the client still sends: closing
            // with unread bytes would make the kernel send a reset, which can destroy the error in flight.
            ctx.channel().config().setAutoRead(true);
            ctx.writeAndFlush(new Frame.Error(code, messageOf(t))).addListener(f -> {
                if (ctx.channel() instanceof io.netty.channel.socket.SocketChannel sc && f.isSuccess()) {
                    sc.shutdownOutput();
                    ctx.executor().schedule(() -> ctx.close(), 10, java.util.concurrent.TimeUnit.SECONDS);
                } else {
                    ctx.close();
                }
            });
        }
    }

    static ErrorCode codeOf(Throwable t) {
        if (t instanceof DecoderException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof IngestException e) {
            return e.code();
        }
        if (t instanceof NotFoundException) {
            return ErrorCode.NOT_FOUND;
        }
        if (t instanceof StoreException.Closed) {
            return ErrorCode.CONFLICT;
        }
        if (t instanceof IOException io && StoreException.classify(io, "") instanceof StoreException.NoSpace) {
            return ErrorCode.NO_SPACE;
        }
        if (t instanceof StoreException.Corrupt) {
            return ErrorCode.CORRUPT;
        }
        if (t instanceof DecoderException || t instanceof IllegalArgumentException) {
            return ErrorCode.BAD_REQUEST;
        }
        return ErrorCode.INTERNAL;
    }

    private static String messageOf(Throwable t) {
        String m = t.getMessage();
        if (codeOf(t) == ErrorCode.INTERNAL) {
            return "server error: " + (m == null ? t.getClass().getSimpleName() : m) + " (details in the server log)";
        }
        return m == null ? t.getClass().getSimpleName() : m;
    }

    private String peer() {
        return String.valueOf(ctx.channel().remoteAddress()) + (host.isEmpty() ? "" : " (" + host + ")");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            fail(new IngestException(ErrorCode.CONFLICT, "nothing sent or received for "
                    + server.idleTimeoutSeconds() + " s: connection dropped"));
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        synchronized (writable) {
            writable.notifyAll();
        }
        worker.execute(() -> {
            if (session != null) {
                log.warn("connection from {} closed during the upload of checkpoint {} (WPAR {}): upload discarded",
                        peer(), session.checkpointId(), session.wpar());
                session.abort();
                endSession(failure != null ? failure : "connection closed during the upload");
            }
        });
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException && !(cause instanceof StoreException)) {
            log.info("connection from {}: {}", peer(), cause.getMessage());
            ctx.close();
            return;
        }
        fail(cause);
    }
}
