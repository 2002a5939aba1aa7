package io.ckpt.server.net;

import io.ckpt.audit.Actor;
import io.ckpt.audit.AuditEvents;
import io.ckpt.audit.AuditLog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.LabelDao;
import io.ckpt.errors.ErrorCodes;
import io.ckpt.ingest.IngestSession;
import io.ckpt.ingest.OpenUploads;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.ProtocolVersion;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.query.CatalogQueries;
import io.ckpt.security.Principal;
import io.ckpt.security.Role;
import io.ckpt.server.request.RequestDispatcher;
import io.ckpt.store.StoreException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
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
    private static final String ABORTED_BY_CLIENT = "aborted by the client: ";
    private final ServerContext server;
    private final RequestDispatcher dispatcher;
    private final Handshake handshake;
    private RequestRunner requests;
    private RestoreStreamer restores;
    private EventExecutor worker;
    private ChannelHandlerContext ctx;
    private boolean welcomed;
    private String host = "";
    /** The protocol version the handshake chose. */
    private volatile int version;
    /**
     * Who is on this connection, set once by the handshake (null before): the access checks, the
     * dedup scope ({@link #tenant}) and the audit log read it. With credentials configured its
     * name is the credential's, whatever HELLO's HOST_ID said.
     */
    private volatile Principal principal;
    /** The principal's tenant: the dedup scope of its uploads. */
    volatile String tenant = Principal.DEFAULT_TENANT;
    private long pending; // bytes queued for the worker; guarded by this
    /** Touched only on the worker thread. */
    private IngestSession session;
    /** The session's entry in the open uploads, through which a move of its WPAR ends it. Worker thread. */
    private OpenUploads.Entry openUpload;
    private volatile boolean failed;
    /** Why the connection failed, for the upload that ends with it. */
    private volatile String failure;
    private ScheduledFuture<?> handshakeDeadline;
    /** When the socket is read: see {@link ReadGate}. */
    private ReadGate gate;
    /** The upload waiting for its slot, if any; set and cleared on the worker thread. */
    private volatile UploadSlots.Queued waiting;
    private volatile Future<?> waitTimeout;
    /** The client asked to hear how its upload waits ({@code upload_notices}, docs/PROTOCOL.md). */
    private volatile boolean notices;
    /** Until when the host's upload rate keeps the socket unread (event loop only). */
    private long rateHoldUntil;

    ConnectionHandler(ServerContext server, RequestDispatcher dispatcher, Handshake handshake) {
        this.server = server;
        this.dispatcher = dispatcher;
        this.handshake = handshake;
    }

    /** Who is on this connection; null before HELLO. */
    Principal principal() {
        return principal;
    }

    /** The protocol version the handshake chose (0 before HELLO). */
    int version() {
        return version;
    }

    /** The host this connection acts as (the credential's name, or HELLO's on an open server); "" before HELLO. */
    String host() {
        return host;
    }

    /** The client asked to hear how its upload waits for a slot. */
    void wantUploadNotices() {
        notices = true;
    }

    /** The authenticated principal's name (the host id), or HELLO's host id on an open local server; "" before HELLO. */
    String principalName() {
        Principal p = principal;
        return p == null ? "" : p.name();
    }

    /** The principal's role; null before HELLO. */
    Role role() {
        Principal p = principal;
        return p == null ? null : p.role();
    }

    /** The principal's tenant (dedup scope). */
    String tenant() {
        return tenant;
    }

    /** Whether the principal proved who it is with a credential (false on an open loopback server). */
    boolean authenticated() {
        Principal p = principal;
        return p != null && p.authenticated();
    }

    /**
     * Closes every open connection authenticated by credential {@code name} (just revoked): an
     * upload in progress on one is discarded, a parked poll or a restore ends. Returns how many.
     */
    static int disconnect(ChannelGroup channels, String name) {
        int n = 0;
        for (Channel ch : channels) {
            ConnectionHandler h = ch.pipeline().get(ConnectionHandler.class);
            if (h != null && h.authenticated() && h.principalName().equals(name)) {
                log.warn("credential {} revoked: closing its connection from {}", name, h.peer());
                h.failed = true;
                h.failure = "credential " + name + " revoked";
                ch.close();
                n++;
            }
        }
        return n;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.worker = server.ingestWorkers().next();
        this.gate = new ReadGate(ctx.channel());
        this.restores = new RestoreStreamer(server, ctx, this);
        this.requests = new RequestRunner(ctx, this, dispatcher, restores);
        handshakeDeadline = ctx.executor().schedule(() -> {
            if (!welcomed) {
                fail(new RequestRefusedException(ErrorCode.BAD_REQUEST, "no HELLO within " + server.handshakeTimeoutSeconds()
                        + " s of connecting (--handshake-timeout): connection dropped"));
            }
        }, server.handshakeTimeoutSeconds(), TimeUnit.SECONDS);
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
            throttle(size);
            worker.execute(() -> {
                try {
                    if (!failed) {
                        long start = System.nanoTime();
                        requireSession("data").data(d.bytes());
                        server.fairness().priority().yieldAfter(System.nanoTime() - start);
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
            throttle(size);
            worker.execute(() -> {
                try {
                    if (!failed) {
                        long start = System.nanoTime();
                        requireDelta("CHUNK_DATA").chunkData(d);
                        server.fairness().priority().yieldAfter(System.nanoTime() - start);
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
            gate.hold(ReadGate.BEGIN); // read nothing more until it is answered: a waiting upload stays in the socket
            onWorker(() -> {
                server.security().access().upload(principal, b.wpar());
                if (session != null) {
                    throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "upload begun while checkpoint "
                            + session.checkpointId() + " is still uploading");
                }
                if (b.mode() == Frame.UploadBegin.MODE_DELTA && !ProtocolVersion.hasDelta(version)) {
                    throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "upload mode 1 (delta) needs protocol version "
                            + ProtocolVersion.V2 + "; this connection speaks version " + version);
                }
                if (b.mode() != Frame.UploadBegin.MODE_STREAM && b.mode() != Frame.UploadBegin.MODE_DELTA) {
                    throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "upload mode " + b.mode()
                            + " is not supported by this server (0 stream, 1 delta)");
                }
                if (!b.key().isEmpty()) {
                    var done = server.catalog().read(h -> h.attach(CheckpointDao.class)
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
                        gate.release(ReadGate.BEGIN);
                        return;
                    }
                }
                if (slotOrTurn(b)) {
                    startSession(b);
                }
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
                    endSession("commit failed: " + ErrorCodes.messageOf(t));
                    throw t;
                }
                endSession(null);
                server.audit().log().ok(actor(), "upload.committed", c.wpar(), c.id(), AuditLog.details()
                        .put("logical_bytes", c.logicalBytes()).put("stored_bytes", c.storedBytes())
                        .put("chunks", c.chunks()).put("new_chunks", c.newChunks()).put("duration_ms", c.durationMillis()));
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
                    endSession(ABORTED_BY_CLIENT + a.reason());
                }
            });
        } else if (frame instanceof Frame.Request r) {
            requests.run(r);
        } else if (frame instanceof Frame.RestoreRequest r) {
            server.restoreWorkers().execute(() -> restores.restore(r.checkpointId()));
        } else {
            fail(new RequestRefusedException(ErrorCode.BAD_REQUEST, "unexpected " + frame.getClass().getSimpleName() + " frame"));
        }
    }

    /**
     * Takes an upload slot for {@code b} and returns true, or queues the upload for one (and
     * returns false: {@link #slotGranted} starts it later), or throws CONFLICT when the queue is
     * full. Worker thread.
     */
    private boolean slotOrTurn(Frame.UploadBegin b) throws RequestRefusedException {
        UploadSlots slots = server.fairness().slots();
        UploadSlots.Ticket ticket = slots.acquire(new UploadSlots.Waiter() {
            @Override
            public void granted() {
                worker.execute(() -> slotGranted(b));
            }

            @Override
            public void ahead(int ahead) {
                worker.execute(() -> notice(ahead));
            }
        });
        if (ticket instanceof UploadSlots.Refused r) {
            refusedUpload(b.wpar(), AuditLog.Outcome.REFUSED,
                    "server busy (--max-uploads " + server.maxUploads() + ", --upload-queue)");
            throw new RequestRefusedException(ErrorCode.CONFLICT, "server busy: " + r.inUse() + " uploads in progress and "
                    + r.waiting() + " waiting, the most it takes (--max-uploads, --upload-queue); retry later");
        }
        if (ticket instanceof UploadSlots.Queued q) {
            waiting = q;
            long maxWait = server.fairness().maxWait().toMillis();
            waitTimeout = ctx.executor().schedule(() -> {
                if (slots.cancel(q, true)) {
                    refusedUpload(b.wpar(), AuditLog.Outcome.REFUSED,
                            "server busy: waited " + maxWait / 1000 + " s for an upload slot (--upload-wait)");
                    fail(new RequestRefusedException(ErrorCode.CONFLICT, "server busy: waited " + maxWait / 1000
                            + " s for an upload slot (--upload-wait), " + slots.inUse() + " uploads in progress; retry later"));
                }
            }, maxWait, TimeUnit.MILLISECONDS);
            log.info("upload for WPAR {} from {} waits for an upload slot, {} ahead", b.wpar(), peer(), q.ahead());
            notice(q.ahead());
            return false;
        }
        return true;
    }

    /** The queued upload's turn came. Worker thread. */
    private void slotGranted(Frame.UploadBegin b) {
        waiting = null;
        var timeout = waitTimeout;
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (failed || !ctx.channel().isActive()) {
            server.fairness().slots().release(); // gone while it waited
            return;
        }
        try {
            startSession(b);
        } catch (Throwable t) {
            fail(t);
        }
    }

    /** Holding a slot: begins the session and answers UPLOAD_STARTED. Worker thread. */
    private void startSession(Frame.UploadBegin b) throws IOException {
        try {
            session = IngestSession.begin(server.datastore(), server.catalog(), server.packs(), server.chunker(),
                    b.wpar(), b.takenAtMillis(), b.kind(), b.labels(), host, b.key(), b.health(), b.healthReason(),
                    tenant, b.mode() == Frame.UploadBegin.MODE_DELTA);
        } catch (Throwable t) {
            server.fairness().slots().release();
            refusedUpload(b.wpar(), AuditEvents.outcomeOf(ErrorCodes.codeOf(t)), ErrorCodes.messageOf(t));
            throw t;
        }
        log.info("{} upload of checkpoint {} for WPAR {} from {} started", session.isDelta() ? "delta" : "stream",
                session.checkpointId(), b.wpar(), peer());
        ctx.writeAndFlush(new Frame.UploadStarted(session.checkpointId()));
        gate.release(ReadGate.BEGIN);
        // Only ends a fenced upload early; the commit transaction refuses it anyway (UploadFence.checkCommit).
        // On the worker, behind the frames already queued: a commit is either refused there or came first and stood.
        IngestSession s = session;
        openUpload = server.uploads().open(s.checkpointId(), s.began(), why -> worker.execute(() -> {
            if (session == s) {
                fail(new RequestRefusedException(ErrorCode.FENCED, why));
            }
        }));
    }

    /** Audits an upload that did not begin: {@code upload.refused} with the reason. */
    private void refusedUpload(String wpar, AuditLog.Outcome outcome, String reason) {
        server.audit().log().record(actor(), "upload.refused", wpar, null, outcome,
                AuditLog.details().put("reason", reason));
    }

    /** Tells a client that asked for notices how many uploads wait before its own. Worker thread. */
    private void notice(int ahead) {
        if (notices && waiting != null) {
            ctx.writeAndFlush(new Frame.Response("{\"upload_queued\":{\"ahead\":" + ahead + ",\"max_wait_seconds\":"
                    + server.fairness().maxWait().toSeconds() + "}}"));
        }
    }

    /** Charges a DATA frame to the host's upload rate; over it, the socket is not read until the debt is paid. */
    private void throttle(int size) {
        long hold = server.fairness().hostRate().charge(host, size);
        if (hold <= 0) {
            return;
        }
        rateHoldUntil = Math.max(rateHoldUntil, System.nanoTime() + hold);
        gate.hold(ReadGate.RATE);
        ctx.executor().schedule(this::rateHoldOver, hold, TimeUnit.NANOSECONDS);
    }

    private void rateHoldOver() {
        long left = rateHoldUntil - System.nanoTime();
        if (left > 0) {
            ctx.executor().schedule(this::rateHoldOver, left, TimeUnit.NANOSECONDS);
        } else {
            gate.release(ReadGate.RATE);
        }
    }

    private void handshake(Frame frame) {
        Handshake.Welcomed w;
        try {
            w = handshake.check(ctx, frame);
        } catch (RequestRefusedException e) {
            fail(e);
            return;
        }
        principal = w.principal();
        tenant = w.tenant();
        host = w.host();
        version = w.version();
        welcomed = true;
        handshakeDeadline.cancel(false);
        handshake.welcome(ctx, w);
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
                boolean byClient = failure.startsWith(ABORTED_BY_CLIENT);
                server.audit().log().record(actor(), byClient ? "upload.aborted" : "upload.failed", session.wpar(),
                        session.checkpointId(), byClient ? AuditLog.Outcome.OK : AuditLog.Outcome.FAILED,
                        AuditLog.details().put("reason", failure));
            }
            session = null;
            if (openUpload != null) {
                openUpload.close();
                openUpload = null;
            }
            server.fairness().slots().release();
        }
    }

    /** The session of a delta upload, for a delta frame; refused on a version 1 connection. */
    private IngestSession requireDelta(String frame) throws RequestRefusedException {
        if (!ProtocolVersion.hasDelta(version)) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, frame + " needs protocol version " + ProtocolVersion.V2
                    + "; this connection speaks version " + version);
        }
        return requireSession(frame);
    }

    private IngestSession requireSession(String what) throws RequestRefusedException {
        if (session == null) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, what + " without an upload in progress");
        }
        return session;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (restores != null) {
            restores.wake();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * While a restore runs the backlog is kept to {@link #LOW_WATER}, not {@link #HIGH_WATER}: the
     * ingest workers are yielding then, and reading 16 MiB more per connection would only spend
     * CPU on bytes that wait (RestorePriority).
     */
    private synchronized void queued(int size) {
        pending += size;
        boolean restoring = server.fairness().priority().restoresRunning() > 0;
        if (pending > (restoring ? LOW_WATER : HIGH_WATER)) {
            gate.hold(ReadGate.BACKLOG);
        }
    }

    private synchronized void drained(int size) {
        pending -= size;
        boolean restoring = server.fairness().priority().restoresRunning() > 0;
        if (pending < (restoring ? LOW_WATER / 2 : LOW_WATER) && gate.holds(ReadGate.BACKLOG)) {
            gate.release(ReadGate.BACKLOG);
        }
    }

    /** Whether the connection failed: it only drains what the client still sends, before it closes. */
    boolean failed() {
        return failed;
    }

    /** Sends the error and closes the connection: an upload that failed cannot be continued. */
    private void fail(Throwable t) {
        if (failed) {
            return;
        }
        failed = true;
        failure = ErrorCodes.messageOf(t);
        if (restores != null) {
            restores.wake(); // a restore waiting to write gives up now and releases its reader
        }
        if (worker != null) worker.execute(() -> { // free the upload slot now: the client may keep the socket open for a while
            if (session != null) {
                session.abort();
                endSession(failure);
            }
        });
        String where = session != null ? " (WPAR " + session.wpar() + ", checkpoint " + session.checkpointId() + ")" : "";
        if (ctx.channel().isActive()) {
            gate.openForGood(); // keep reading (and dropping) what the client still sends: see failAndClose
        }
        ErrorReplies.failAndClose(ctx, peer(), where, t);
    }

    /**
     * Who this connection acts for, for the audit log: the host id from HELLO and the peer
     * address. The one place that reads the connection's identity: an authenticated principal
     * goes here.
     */
    Actor actor() {
        Principal p = principal;
        String name = p != null && p.authenticated() ? p.name() : "";
        return new Actor(name, host, String.valueOf(ctx.channel().remoteAddress()));
    }

    String peer() {
        return String.valueOf(ctx.channel().remoteAddress()) + (host.isEmpty() ? "" : " (" + host + ")");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (waiting != null) {
                return; // waiting its turn is not idling: --upload-wait bounds it
            }
            fail(new RequestRefusedException(ErrorCode.CONFLICT, "nothing sent or received for "
                    + server.idleTimeoutSeconds() + " s: connection dropped"));
            return;
        }
        if (evt instanceof FrameDeadlineHandler.Expired e) {
            fail(new RequestRefusedException(ErrorCode.BAD_REQUEST, "a frame was still incomplete " + e.seconds()
                    + " s after its first byte (--frame-timeout): connection dropped"));
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (restores != null) {
            restores.wake();
        }
        worker.execute(() -> {
            UploadSlots.Queued q = waiting;
            if (q != null) {
                waiting = null;
                // Else its slot was granted meanwhile, and slotGranted (queued behind this) releases it.
                server.fairness().slots().cancel(q, false);
            }
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
        if (!welcomed && cause instanceof TooLongFrameException) {
            fail(new RequestRefusedException(ErrorCode.BAD_REQUEST, "a frame before HELLO may be at most "
                    + (ServerInitializer.HELLO_MAX_FRAME >> 10) + " KiB (" + cause.getMessage()
                    + "): the first frame must be HELLO; connection dropped"));
            return;
        }
        if (cause instanceof IOException && !(cause instanceof StoreException)) {
            log.info("connection from {}: {}", peer(), cause.getMessage());
            ctx.close();
            return;
        }
        fail(cause);
    }
}
