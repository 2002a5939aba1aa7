package io.ckpt.server.net;

import io.ckpt.audit.AuditEvents;
import io.ckpt.audit.AuditLog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.LabelDao;
import io.ckpt.errors.ErrorCodes;
import io.ckpt.ingest.IngestSession;
import io.ckpt.ingest.UploadRequest;
import io.ckpt.ingest.OpenUploads;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.ProtocolVersion;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.query.CatalogQueries;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's uploads (docs/PROTOCOL.md, "Uploads", "Delta mode", "Waiting for a slot"):
 * the upload frames handed, in order, to the connection's one ingest worker; the upload slot or
 * a place in its queue; the session's life from UPLOAD_BEGIN to its commit, abort or failure; the
 * upload bytes' backpressure is {@link UploadBackpressure}.
 *
 * <p>Threads: frames arrive on the event loop ({@link #read}); the session, its open-uploads entry
 * and the slot are touched only on the worker, so an upload's frames, its failure and the close
 * of its connection are handled one after the other there, never at once.
 */
final class UploadFlow {
    private static final Logger log = LoggerFactory.getLogger(UploadFlow.class);
    private static final String ABORTED_BY_CLIENT = "aborted by the client: ";

    private final ServerContext server;
    private final ChannelHandlerContext ctx;
    private final ConnectionHandler connection;
    private final ReadGate gate;
    private final EventExecutor worker;
    private final UploadBackpressure backpressure;
    /** Touched only on the worker thread. */
    private IngestSession session;
    /** The session's entry in the open uploads, through which a move of its WPAR ends it. Worker thread. */
    private OpenUploads.Entry openUpload;
    /** The upload waiting for its slot, if any; set and cleared on the worker thread. */
    private volatile UploadSlots.Queued waiting;
    private volatile Future<?> waitTimeout;
    /** The client asked to hear how its upload waits ({@code upload_notices}, docs/PROTOCOL.md). */
    private volatile boolean notices;

    UploadFlow(ServerContext server, ChannelHandlerContext ctx, ConnectionHandler connection, ReadGate gate) {
        this.server = server;
        this.ctx = ctx;
        this.connection = connection;
        this.gate = gate;
        this.worker = server.ingestWorkers().next();
        this.backpressure = new UploadBackpressure(server.fairness(), ctx.channel(), gate, connection::host);
    }

    /** The client asked to hear how its upload waits for a slot. */
    void wantNotices() {
        notices = true;
    }

    /** Whether an upload waits for its slot: waiting its turn is not idling (--upload-wait bounds it). */
    boolean waitingForSlot() {
        return waiting != null;
    }

    /** " (WPAR w, checkpoint n)" for the upload in progress, "" if none: for the log line of a failure. */
    String where() {
        IngestSession s = session;
        return s != null ? " (WPAR " + s.wpar() + ", checkpoint " + s.checkpointId() + ")" : "";
    }

    /** Handles {@code frame} if it is an upload frame and returns true; false for any other frame. Event loop. */
    boolean read(Frame frame) {
        if (frame instanceof Frame.Data d) {
            int size = d.bytes().readableBytes();
            backpressure.arrived(size);
            worker.execute(() -> {
                try {
                    if (!connection.failed()) {
                        long start = System.nanoTime();
                        requireSession("data").data(d.bytes());
                        server.fairness().priority().yieldAfter(System.nanoTime() - start);
                    }
                } catch (Throwable t) {
                    connection.fail(t);
                } finally {
                    d.release();
                    backpressure.drained(size);
                }
            });
        } else if (frame instanceof Frame.ChunkData d) {
            int size = d.payload().length;
            backpressure.arrived(size);
            worker.execute(() -> {
                try {
                    if (!connection.failed()) {
                        long start = System.nanoTime();
                        requireDelta("CHUNK_DATA").chunkData(d);
                        server.fairness().priority().yieldAfter(System.nanoTime() - start);
                    }
                } catch (Throwable t) {
                    connection.fail(t);
                } finally {
                    backpressure.drained(size);
                }
            });
        } else if (frame instanceof Frame.ChunkQuery q) {
            onWorker(() -> ctx.writeAndFlush(new Frame.ChunkMissing(q.count(), requireDelta("CHUNK_QUERY").missing(q))));
        } else if (frame instanceof Frame.ChunkRefs r) {
            onWorker(() -> requireDelta("CHUNK_REFS").chunkRefs(r));
        } else if (frame instanceof Frame.UploadBegin b) {
            gate.hold(ReadGate.BEGIN); // read nothing more until it is answered: a waiting upload stays in the socket
            onWorker(() -> begin(b));
        } else if (frame instanceof Frame.PartBegin p) {
            onWorker(() -> requireSession("part").beginPart(p.part()));
        } else if (frame instanceof Frame.PartEnd e) {
            onWorker(() -> requireSession("part end").endPart(e.length(), e.sha256()));
        } else if (frame instanceof Frame.UploadCommit) {
            onWorker(this::commit);
        } else if (frame instanceof Frame.UploadAbort a) {
            onWorker(() -> {
                if (session != null) {
                    log.info("upload of checkpoint {} aborted by the client: {}", session.checkpointId(), a.reason());
                    session.abort();
                    endSession(ABORTED_BY_CLIENT + a.reason());
                }
            });
        } else {
            return false;
        }
        return true;
    }

    /** UPLOAD_BEGIN: checks, an idempotent retry answered again, else a slot (or a place in the queue). Worker thread. */
    private void begin(Frame.UploadBegin b) throws IOException {
        server.security().access().upload(connection.principal(), b.wpar());
        if (session != null) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "upload begun while checkpoint "
                    + session.checkpointId() + " is still uploading");
        }
        int version = connection.version();
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
    }

    /** UPLOAD_COMMIT: the session made durable and visible, then audited, counted and acknowledged. Worker thread. */
    private void commit() throws IOException {
        IngestSession s = requireSession("commit");
        IngestSession.Committed c;
        try {
            c = s.commit();
        } catch (Throwable t) {
            endSession("commit failed: " + ErrorCodes.messageOf(t));
            throw t;
        }
        endSession(null);
        server.audit().log().ok(connection.actor(), "upload.committed", c.wpar(), c.id(), AuditLog.details()
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
                    connection.fail(new RequestRefusedException(ErrorCode.CONFLICT, "server busy: waited " + maxWait / 1000
                            + " s for an upload slot (--upload-wait), " + slots.inUse() + " uploads in progress; retry later"));
                }
            }, maxWait, TimeUnit.MILLISECONDS);
            log.info("upload for WPAR {} from {} waits for an upload slot, {} ahead", b.wpar(), connection.peer(), q.ahead());
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
        if (connection.failed() || !ctx.channel().isActive()) {
            server.fairness().slots().release(); // gone while it waited
            return;
        }
        try {
            startSession(b);
        } catch (Throwable t) {
            connection.fail(t);
        }
    }

    /** Holding a slot: begins the session and answers UPLOAD_STARTED. Worker thread. */
    private void startSession(Frame.UploadBegin b) throws IOException {
        try {
            session = IngestSession.begin(server.datastore(), server.catalog(), server.packs(), server.chunker(),
                    UploadRequest.of(b.wpar(), b.takenAtMillis(), b.kind(), b.labels(), connection.host())
                            .withKey(b.key()).withHealth(b.health(), b.healthReason()).forTenant(connection.tenant())
                            .inDeltaMode(b.mode() == Frame.UploadBegin.MODE_DELTA));
        } catch (Throwable t) {
            server.fairness().slots().release();
            refusedUpload(b.wpar(), AuditEvents.outcomeOf(ErrorCodes.codeOf(t)), ErrorCodes.messageOf(t));
            throw t;
        }
        log.info("{} upload of checkpoint {} for WPAR {} from {} started", session.isDelta() ? "delta" : "stream",
                session.checkpointId(), b.wpar(), connection.peer());
        ctx.writeAndFlush(new Frame.UploadStarted(session.checkpointId()));
        gate.release(ReadGate.BEGIN);
        // Only ends a fenced upload early; the commit transaction refuses it anyway (UploadFence.checkCommit).
        // On the worker, behind the frames already queued: a commit is either refused there or came first and stood.
        IngestSession s = session;
        openUpload = server.uploads().open(s.checkpointId(), s.began(), why -> worker.execute(() -> {
            if (session == s) {
                connection.fail(new RequestRefusedException(ErrorCode.FENCED, why));
            }
        }));
    }

    /** Audits an upload that did not begin: {@code upload.refused} with the reason. */
    private void refusedUpload(String wpar, AuditLog.Outcome outcome, String reason) {
        server.audit().log().record(connection.actor(), "upload.refused", wpar, null, outcome,
                AuditLog.details().put("reason", reason));
    }

    /** Tells a client that asked for notices how many uploads wait before its own. Worker thread. */
    private void notice(int ahead) {
        if (notices && waiting != null) {
            ctx.writeAndFlush(new Frame.Response("{\"upload_queued\":{\"ahead\":" + ahead + ",\"max_wait_seconds\":"
                    + server.fairness().maxWait().toSeconds() + "}}"));
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private void onWorker(Step step) {
        worker.execute(() -> {
            if (connection.failed()) {
                return;
            }
            try {
                step.run();
            } catch (Throwable t) {
                connection.fail(t);
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
                server.audit().log().record(connection.actor(), byClient ? "upload.aborted" : "upload.failed", session.wpar(),
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

    /** The connection failed: the upload in progress is discarded and its slot freed now, on the worker. */
    void failed(String failure) {
        worker.execute(() -> { // the client may keep the socket open for a while
            if (session != null) {
                session.abort();
                endSession(failure);
            }
        });
    }

    /** The connection closed: a queued upload leaves the queue, one in progress is discarded, on the worker. */
    void closed(String failure) {
        worker.execute(() -> {
            UploadSlots.Queued q = waiting;
            if (q != null) {
                waiting = null;
                // Else its slot was granted meanwhile, and slotGranted (queued behind this) releases it.
                server.fairness().slots().cancel(q, false);
            }
            if (session != null) {
                log.warn("connection from {} closed during the upload of checkpoint {} (WPAR {}): upload discarded",
                        connection.peer(), session.checkpointId(), session.wpar());
                session.abort();
                endSession(failure != null ? failure : "connection closed during the upload");
            }
        });
    }

    /** The session of a delta upload, for a delta frame; refused on a version 1 connection. */
    private IngestSession requireDelta(String frame) throws RequestRefusedException {
        int version = connection.version();
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
}
