package io.ckpt.server.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.audit.AuditEvents;
import io.ckpt.audit.AuditLog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.LabelDao;
import io.ckpt.errors.ErrorCodes;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.ProtocolVersion;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.query.CatalogQueries;
import io.ckpt.security.Access;
import io.netty.channel.ChannelHandlerContext;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's restores and fetches: checkpoint data streamed to the socket from a restore
 * worker, which waits whenever the socket's outbound buffer is full ({@link #awaitWritable}), so a
 * slow client slows its restore instead of growing the heap. A reader count held on the checkpoint
 * ({@code readers}) keeps prune from removing it under the stream.
 */
final class RestoreStreamer {
    private static final Logger log = LoggerFactory.getLogger(RestoreStreamer.class);

    private final ServerContext server;
    private final ChannelHandlerContext ctx;
    private final ConnectionHandler connection;
    private final Object writable = new Object();
    /** Checkpoints this connection fetched chunks of, audited once each. */
    private final Set<Long> fetched = ConcurrentHashMap.newKeySet();

    RestoreStreamer(ServerContext server, ChannelHandlerContext ctx, ConnectionHandler connection) {
        this.server = server;
        this.ctx = ctx;
        this.connection = connection;
    }

    /** Wakes a stream waiting for the socket: it became writable, or the connection failed or closed. */
    void wake() {
        synchronized (writable) {
            writable.notifyAll();
        }
    }

    /**
     * {@code {"op":"fetch","id":ID,"part":SEQ,"ranges":[[from,to],...]}}: RESPONSE, then the
     * chunks in those ranges as DATA, then RESTORE_END (docs/PROTOCOL.md, "fetch").
     */
    void fetch(JsonNode req) {
        long id = req.path("id").asLong(-1);
        server.readers().acquire(id);
        server.fairness().priority().restoreStarted();
        try {
            CheckpointRow cp = server.restorer().checkpoint(id);
            List<long[]> ranges = new ArrayList<>();
            for (var r : req.path("ranges")) {
                ranges.add(new long[] {r.path(0).asLong(-1), r.path(1).asLong(-1)});
            }
            int part = req.path("part").asInt(-1);
            if (fetched.add(id)) {
                server.audit().log().ok(connection.actor(), "restore.fetch", cp.wpar(), id,
                        AuditLog.details().put("mode", "chunks the client lacks"));
            }
            ctx.writeAndFlush(new Frame.Response("{\"id\":" + id + ",\"part\":" + part + "}"));
            long sent = server.restorer().fetch(cp, part, ranges, new ChannelRestoreSink(ctx, this::awaitWritable));
            ctx.writeAndFlush(new Frame.RestoreEnd(id));
            log.debug("fetch of {} bytes of checkpoint {} part {} to {}", sent, id, part, connection.peer());
        } catch (Throwable t) {
            if (t instanceof ClosedChannelException) {
                return;
            }
            ErrorReplies.reply(ctx, connection.peer(), t);
        } finally {
            server.fairness().priority().restoreEnded();
            server.readers().release(id);
        }
    }

    /**
     * Streams checkpoint {@code id} for a RESTORE_REQUEST: authorised by {@link Access#restore}
     * against the checkpoint's real WPAR, then RESPONSE with the checkpoint, its parts as DATA,
     * RESTORE_END; audited as restore.started and restore.finished. Restore worker thread.
     */
    void restore(long id) {
        server.readers().acquire(id); // before reading the row: prune then either sees it in use or removed it already
        try {
            stream(id, cp -> {
                var header = new ObjectNode(CatalogQueries.mapper().getNodeFactory());
                header.set("checkpoint", CatalogQueries.checkpointJson(cp,
                        server.catalog().read(h -> h.attach(LabelDao.class).of(id))));
                return CatalogQueries.toJson(header);
            });
        } finally {
            server.readers().release(id);
        }
    }

    /**
     * The {@code restore} request (protocol version 3, docs/PROTOCOL.md "Restore"): select and
     * RESTORE_REQUEST in one round trip. The selector is resolved exactly as {@code select} resolves
     * it for this caller's tenant (the same answers, NOT_FOUND for another tenant's WPAR included),
     * and the restore is then authorised, streamed and audited as {@link #restore(long)} does, against
     * the checkpoint chosen, never a name the client gave. The RESPONSE is {@code show}'s answer: the
     * checkpoint and its parts, so the client needs nothing more before the data. Restore worker thread.
     *
     * <p>Prune beside it: the reader is registered on the chosen id before the row is read again
     * (ReadersInUse), so prune either sees the checkpoint in use, or removed it before; in that case
     * a selector (latest, at, last known good, resume) is resolved again, up to {@link #RESELECTIONS}
     * times, and a selection by id answers NOT_FOUND as a RESTORE_REQUEST of a pruned id does.
     */
    void restore(JsonNode request, String tenantSeen) {
        for (int attempt = 1; ; attempt++) {
            long id;
            try {
                if (!ProtocolVersion.hasRestoreSelector(connection.version())) {
                    throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "the restore request needs protocol version "
                            + ProtocolVersion.V3 + "; this connection speaks version " + connection.version()
                            + " (select, then RESTORE_REQUEST)");
                }
                ObjectNode select = ((ObjectNode) request).deepCopy().put("op", "select");
                id = CatalogQueries.mapper().readTree(server.queries().handle(select, tenantSeen))
                        .path("checkpoint").path("id").asLong();
            } catch (Throwable t) {
                ErrorReplies.reply(ctx, connection.peer(), t);
                return;
            }
            server.readers().acquire(id);
            try {
                if (attempt < RESELECTIONS && !request.hasNonNull("id") && !complete(id)) {
                    continue; // pruned between the selection and the reader: choose again
                }
                stream(id, cp -> server.queries().handle(
                        CatalogQueries.mapper().createObjectNode().put("op", "show").put("id", id), null));
            } catch (IOException e) { // the catalog read of complete()
                ErrorReplies.reply(ctx, connection.peer(), e);
            } finally {
                server.readers().release(id);
            }
            return;
        }
    }

    /** How often a selector is resolved again when prune removed its checkpoint before the restore registered. */
    static final int RESELECTIONS = 3;

    private boolean complete(long id) throws IOException {
        return server.catalog().read(h -> h.attach(CheckpointDao.class).find(id)).filter(CheckpointRow::isComplete).isPresent();
    }

    /** The RESPONSE that opens a restore of {@code cp}. */
    private interface Header {
        String of(CheckpointRow cp) throws IOException;
    }

    /** Authorises, answers {@code header}, streams and audits the restore of {@code id}, whose reader the caller holds. */
    private void stream(long id, Header header) {
        server.fairness().priority().restoreStarted();
        CheckpointRow cp = null;
        String wpar = null;
        try {
            Access.Target target = server.security().access().checkpoint(id);
            wpar = target.tenant() == null ? null : target.wpar(); // the real WPAR, for the audit of a refusal too
            server.security().access().restore(connection.principal(), target);
            cp = server.restorer().checkpoint(id);
            ctx.writeAndFlush(new Frame.Response(header.of(cp)));
            log.info("restore of checkpoint {} (WPAR {}) to {} started", id, cp.wpar(), connection.peer());
            server.audit().log().ok(connection.actor(), "restore.started", cp.wpar(), id, null);
            long start = System.nanoTime();
            server.restorer().restore(cp, new ChannelRestoreSink(ctx, this::awaitWritable));
            ctx.writeAndFlush(new Frame.RestoreEnd(id));
            long nanos = System.nanoTime() - start;
            server.metrics().restored(cp.logicalBytes(), nanos);
            server.audit().log().ok(connection.actor(), "restore.finished", cp.wpar(), id, AuditLog.details()
                    .put("logical_bytes", cp.logicalBytes()).put("duration_ms", nanos / 1_000_000));
            log.info("restore of checkpoint {} done: {} bytes in {} ms", id, cp.logicalBytes(), nanos / 1_000_000);
        } catch (Throwable t) {
            server.metrics().restoreFailed();
            boolean gone = t instanceof ClosedChannelException;
            server.audit().log().record(connection.actor(), cp == null ? "restore.started" : "restore.finished",
                    cp == null ? wpar : cp.wpar(), id, gone ? AuditLog.Outcome.FAILED
                            : AuditEvents.outcomeOf(ErrorCodes.codeOf(t)),
                    AuditLog.details().put("error", gone ? "the client disconnected" : ErrorCodes.messageOf(t)));
            if (gone) {
                log.info("restore of checkpoint {} stopped: {} disconnected", id, connection.peer());
                return;
            }
            ErrorReplies.reply(ctx, connection.peer(), t);
        } finally {
            server.fairness().priority().restoreEnded();
        }
    }

    /** Blocks the restore thread while the socket's outbound buffer is above its high water mark. */
    private void awaitWritable() throws IOException {
        synchronized (writable) {
            while (!ctx.channel().isWritable()) {
                if (!ctx.channel().isActive() || connection.failed()) { // failed: dropped, only draining before the close
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
        if (!ctx.channel().isActive() || connection.failed()) {
            throw new ClosedChannelException();
        }
    }
}
