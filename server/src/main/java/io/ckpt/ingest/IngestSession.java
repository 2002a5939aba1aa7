package io.ckpt.ingest;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.LabelDao;
import io.ckpt.catalog.PartDao;
import io.ckpt.catalog.UploadFence;
import io.ckpt.catalog.UploadFence.UploadEpoch;
import io.ckpt.catalog.WparDao;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.store.Datastore;
import io.ckpt.store.Journal;
import io.ckpt.store.PackStore;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;

/**
 * One checkpoint upload: registers the checkpoint (invisible until committed), takes its parts in
 * order, and commits or discards it. In stream mode the client sends raw bytes part by part and
 * {@link StreamChunks} cuts and stores them; in delta mode the client sends chunks and chunk
 * lists, which a {@link DeltaReceiver} proves and records. The part names ({@link PartTree}), the
 * manifest ({@link ManifestDraft}), the commit and the abort are the same in both modes.
 *
 * <p>Not thread-safe: all calls for one session come from one worker thread in order.
 */
public final class IngestSession {
    private enum State { OPEN, IN_PART, DONE }

    private final Datastore ds;
    private final Catalog catalog;
    private final PackStore packs;
    private final long checkpointId;
    private final UploadRequest request;
    private final long startNanos = System.nanoTime();
    private final ManifestDraft manifest;
    private final PartTree tree = new PartTree();
    /** The owner and epoch this upload began under: its commit is refused (FENCED) if they changed. */
    private final UploadEpoch began;
    /** Null in delta mode (the client cuts). */
    private final StreamChunks stream;
    /** Null in stream mode. */
    private final DeltaReceiver delta;
    private State state = State.OPEN;

    private long partId;
    private int partSeq = -1;
    private PartInfo part;
    /** Delta mode: the open part's chunks and bytes so far (stream mode: {@link StreamChunks} counts). */
    private int deltaChunkSeq;
    private long deltaPartLength;
    private long deltaChunkCount;

    private long logicalBytes;

    private IngestSession(Datastore ds, Catalog catalog, PackStore packs, ChunkerParams params, long checkpointId,
            UploadRequest request, UploadEpoch began, ManifestDraft manifest) {
        this.ds = ds;
        this.catalog = catalog;
        this.packs = packs;
        this.checkpointId = checkpointId;
        this.request = request;
        this.began = began;
        this.manifest = manifest;
        this.stream = request.delta() ? null
                : new StreamChunks(catalog, packs, params, checkpointId, request.tenant(), manifest);
        this.delta = request.delta() ? new DeltaReceiver(catalog, packs, checkpointId, request.tenant()) : null;
    }

    /**
     * Registers a new, invisible checkpoint for {@code r} and returns the session that fills it:
     * the uploader must own the WPAR or may claim it ({@link UploadFence#checkUpload}); a key
     * already used by an upload still in progress is refused with CONFLICT (callers check for a
     * completed one first); a datastore below its free-space reserve refuses (NO_SPACE).
     */
    public static IngestSession begin(Datastore ds, Catalog catalog, PackStore packs, ChunkerParams params,
            UploadRequest r) throws IOException {
        r.check();
        packs.checkReserve();
        long now = System.currentTimeMillis();
        String dbKey = r.key().isEmpty() ? null : r.key();
        var began = new UploadEpoch[1];
        long id = catalog.write(h -> {
            h.attach(WparDao.class).ensure(r.wpar(), now);
            began[0] = UploadFence.checkUpload(h, ds.journal(), r.wpar(), r.host(), now);
            CheckpointDao dao = h.attach(CheckpointDao.class);
            if (dbKey != null && dao.findByKey(r.wpar(), dbKey).isPresent()) {
                throw new RequestRefusedException(ErrorCode.CONFLICT, "an upload with key '" + r.key() + "' for WPAR "
                        + r.wpar() + " is already in progress; retry when it has ended");
            }
            long cp = dao.create(r.wpar(), r.takenAt(), r.kind(), r.host(), now, dbKey, r.health(), r.healthReason());
            if (!r.tenant().equals(UploadRequest.DEFAULT_TENANT)) {
                dao.setTenant(cp, r.tenant());
            }
            if (!r.labels().isEmpty()) {
                h.attach(LabelDao.class).add(cp, r.labels());
            }
            return cp;
        });
        ManifestDraft manifest = null;
        try {
            manifest = ManifestDraft.stage(ds, id, r, now);
            return new IngestSession(ds, catalog, packs, params, id, r, began[0], manifest);
        } catch (IOException | RuntimeException e) {
            if (manifest != null) {
                manifest.discard();
            }
            catalog.write(h -> h.attach(CheckpointDao.class).delete(id));
            throw e;
        }
    }

    public long checkpointId() {
        return checkpointId;
    }

    public String wpar() {
        return request.wpar();
    }

    /** The owner and epoch this upload began under (see {@link UploadFence#checkCommit}). */
    public UploadEpoch began() {
        return began;
    }

    /** Whether this is a delta upload. */
    public boolean isDelta() {
        return delta != null;
    }

    /** Delta mode: which of the queried digests the client must send (bit set: missing). */
    public BitSet missing(Frame.ChunkQuery q) throws IOException {
        requireDelta("CHUNK_QUERY");
        return delta.missing(q);
    }

    /** Delta mode: a chunk's bytes, proven against its digest before they are kept. */
    public void chunkData(Frame.ChunkData d) throws IOException {
        requireDelta("CHUNK_DATA");
        delta.chunk(d);
    }

    /** Delta mode: the open part's next chunks; each digest must be in scope. */
    public void chunkRefs(Frame.ChunkRefs r) throws IOException {
        requireDelta("CHUNK_REFS");
        if (state != State.IN_PART) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "CHUNK_REFS outside a part");
        }
        if (!part.type().hasData()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "CHUNK_REFS for " + part.type() + " part '" + part.name() + "'");
        }
        delta.refs(r, partId, deltaChunkSeq, part.name());
        for (int i = 0; i < r.count(); i++) {
            manifest.chunk(r.digests(), i * 32, r.lengths()[i]);
            deltaPartLength += r.lengths()[i];
        }
        deltaChunkSeq += r.count();
        deltaChunkCount += r.count();
    }

    private void requireDelta(String frame) throws RequestRefusedException {
        if (delta == null) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, frame + " in a stream-mode upload (UPLOAD_BEGIN mode 0)");
        }
        if (state == State.DONE) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, frame + " after the upload ended");
        }
    }

    public void beginPart(PartInfo info) throws IOException {
        if (state != State.OPEN) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part '" + info.name() + "' begun "
                    + (state == State.IN_PART ? "before part '" + part.name() + "' ended" : "after commit"));
        }
        tree.add(info);
        int seq = ++partSeq;
        partId = catalog.write(h -> h.attach(PartDao.class).create(checkpointId, seq, info.name(),
                info.type().code(), info.mode(), info.mtimeMillis(), info.linkTarget()));
        manifest.beginPart(info);
        part = info;
        if (stream != null) {
            stream.beginPart(partId);
        }
        deltaChunkSeq = 0;
        deltaPartLength = 0;
        state = State.IN_PART;
    }

    /** Takes the bytes of {@code data} (the caller keeps ownership of the buffer). */
    public void data(ByteBuf data) throws IOException {
        if (delta != null) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "DATA frame in a delta upload (send CHUNK_DATA and CHUNK_REFS)");
        }
        if (state != State.IN_PART) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "data outside a part");
        }
        if (!part.type().hasData()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "data for " + part.type() + " part '" + part.name() + "'");
        }
        stream.data(data);
    }

    public void endPart(long length, byte[] sha256) throws IOException {
        if (state != State.IN_PART) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part end outside a part");
        }
        byte[] actual;
        long received;
        long chunks;
        if (delta != null) {
            // The client's claim: the chunks are proven, their order and lengths checked; every restore
            // recomputes the part's SHA-256 over them and refuses a mismatch (docs/PROTOCOL.md).
            if (length != deltaPartLength) {
                throw new RequestRefusedException(ErrorCode.CORRUPT, "part '" + part.name() + "': its chunk lengths add up to "
                        + deltaPartLength + " bytes != " + length + " announced by the client");
            }
            if (sha256.length != 32) {
                throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part '" + part.name() + "': SHA-256 of " + sha256.length + " bytes");
            }
            actual = sha256.clone();
            received = deltaPartLength;
            chunks = deltaChunkSeq;
        } else {
            actual = stream.endPart();
            received = stream.partLength();
            chunks = stream.partChunks();
        }
        if (length != received) {
            throw new RequestRefusedException(ErrorCode.CORRUPT, "part '" + part.name() + "': received " + received
                    + " bytes != " + length + " announced by the client (connection damaged?)");
        }
        if (!Arrays.equals(actual, sha256)) {
            throw new RequestRefusedException(ErrorCode.CORRUPT, "part '" + part.name()
                    + "': SHA-256 of the received bytes does not match the client's (data damaged in transit)");
        }
        long id = partId;
        catalog.write(h -> {
            h.attach(PartDao.class).finish(id, length, actual, chunks);
            return null;
        });
        manifest.endPart(length, actual);
        logicalBytes += length;
        state = State.OPEN;
    }

    /** Result of a commit. */
    public record Committed(long id, String wpar, long takenAt, long logicalBytes, long storedBytes, long chunks,
            long newChunks, int parts, long durationMillis) {}

    /**
     * Makes the checkpoint durable and visible: packs fsynced, manifest written and renamed, then
     * the catalog transaction that marks it complete, fsynced. That transaction first checks that
     * the uploader still owns the WPAR at the epoch the upload began under, and refuses (FENCED)
     * otherwise; a refused commit is discarded like any failed one.
     */
    public Committed commit() throws IOException {
        if (state != State.OPEN) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, state == State.IN_PART
                    ? "commit before part '" + part.name() + "' ended" : "commit of a finished upload");
        }
        state = State.DONE;
        boolean visible = false;
        try {
            long storedBytes;
            long newChunkCount;
            long chunkCount;
            if (delta != null) {
                delta.flush();
                storedBytes = delta.storedBytes();
                newChunkCount = delta.newChunks();
                chunkCount = deltaChunkCount;
            } else {
                storedBytes = stream.storedBytes();
                newChunkCount = stream.newChunks();
                chunkCount = stream.chunkCount();
            }
            packs.sync();
            int parts = partSeq + 1;
            long now = System.currentTimeMillis();
            // Durable under its name before the commit transaction (docs/FORMAT.md, "Journal").
            manifest.publish(Map.of("completed_at", Long.toString(now), "logical_bytes", Long.toString(logicalBytes),
                    "stored_bytes", Long.toString(storedBytes), "chunk_count", Long.toString(chunkCount),
                    "new_chunk_count", Long.toString(newChunkCount)));
            long duration = (System.nanoTime() - startNanos) / 1_000_000;
            int updated = catalog.writeDurably(h -> {
                // The fence: a checkpoint becomes complete only if, in this very transaction, its uploader is
                // the WPAR's owner at the epoch it began under (Ownership, docs/ARCHITECTURE.md, invariant 2).
                UploadFence.checkCommit(h, began, checkpointId);
                int n = h.attach(CheckpointDao.class).markComplete(checkpointId,
                        logicalBytes, storedBytes, chunkCount, newChunkCount, parts, now);
                if (n == 1) {
                    // Journaled before this transaction commits, as every journaled change: rebuild-catalog takes a
                    // manifest in only with this event, so an upload killed between the manifest's rename above and
                    // this commit (or fenced, or aborted there) never comes back as complete (docs/FORMAT.md).
                    ds.journal().append(Journal.commit(checkpointId, request.wpar(), now));
                }
                if (delta != null) {
                    h.attach(ChunkDao.class).forgetSent(checkpointId); // the chunk lists hold what is used now
                }
                return n;
            });
            if (updated != 1) {
                throw new RequestRefusedException(ErrorCode.CONFLICT, "checkpoint " + checkpointId + " was removed during its upload");
            }
            visible = true;
            return new Committed(checkpointId, request.wpar(), request.takenAt(), logicalBytes, storedBytes, chunkCount,
                    newChunkCount, parts, duration);
        } finally {
            if (!visible) {
                discard();
            }
        }
    }

    /**
     * Abandons the upload: the checkpoint row and its parts go, the chunks it stored stay in
     * their packs (other uploads may already share them) until garbage collection.
     */
    public void abort() {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        discard();
    }

    /** Removes every trace of this upload but the chunks (see {@link #abort()}). */
    private void discard() {
        // No row of this session points into a pack any more after this (docs/ARCHITECTURE.md, "GC safety").
        if (stream != null) {
            stream.releasePins();
        }
        if (delta != null) {
            delta.releasePins();
        }
        manifest.discard(); // drops it unless the commit published it
        // The row first, and never a complete one: should a commit's transaction have reached the disk although it
        // reported a failure, the checkpoint stays whole (row and manifest). The manifest goes only once no row is left.
        boolean rowGone;
        try {
            rowGone = catalog.write(h -> {
                CheckpointDao dao = h.attach(CheckpointDao.class);
                dao.deleteUnlessComplete(checkpointId);
                return dao.find(checkpointId).isEmpty();
            });
        } catch (IOException e) {
            rowGone = false; // recovery at the next start removes incomplete checkpoints and their manifests
        }
        try {
            if (rowGone) {
                ds.objects().delete(Datastore.manifestKey(checkpointId));
            }
        } catch (IOException ignored) {
            // a manifest without a complete checkpoint is ignored, and recovery removes it at the next start
        }
    }
}
