package io.ckpt.ingest;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.LabelDao;
import io.ckpt.catalog.Names;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.catalog.PartDao;
import io.ckpt.catalog.UploadFence.UploadEpoch;
import io.ckpt.catalog.UploadFence;
import io.ckpt.catalog.WparDao;
import io.ckpt.chunk.ChunkCompression;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.manifest.CheckpointHeader;
import io.ckpt.manifest.ManifestWriter;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartNames;
import io.ckpt.protocol.PartType;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.store.Datastore;
import io.ckpt.store.ObjectStore;
import io.ckpt.store.PackFormat;
import io.ckpt.store.PackStore;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One checkpoint upload. In stream mode the client sends raw bytes part by part, this session
 * cuts them into chunks, stores the chunks the datastore lacks, and commits. In delta mode the
 * client sends chunks and chunk lists, which a {@link DeltaReceiver} proves and records; parts,
 * manifest, commit and abort are the same in both modes.
 *
 * <p>Bytes collect in a fixed buffer; when it is full (or a part ends) every whole chunk in it
 * is hashed, the catalog is asked in one query which digests it already has, the new chunks are
 * compressed into a record batch that goes to the pack store in one write, and their locations
 * plus the part's chunk list are inserted in one transaction. Memory is the buffer and the batch
 * (about 6 MiB), whatever the image size; the server bounds how many sessions run at once.
 *
 * <p>Not thread-safe: all calls for one session come from one worker thread in order.
 */
public final class IngestSession {
    static final int BUFFER_SIZE = 4 * 1024 * 1024;
    static final int BATCH_BYTES = 2 * 1024 * 1024;

    private enum State { OPEN, IN_PART, DONE }

    private final Datastore ds;
    private final Catalog catalog;
    private final PackStore packs;
    /** Null in delta mode (the client cuts). */
    private final StreamCutter cutter;
    private final ChunkCompression compression = new ChunkCompression();
    private final MessageDigest partSha = ChunkDigest.sha256();
    private final byte[] buf;
    private int bufLen;
    private final byte[] compressed;
    /** Null in delta mode (its DeltaReceiver has its own). */
    private final ChunkBatchWriter writer;


    private final long checkpointId;
    private final String wpar;
    private final long takenAt;
    private final long startNanos = System.nanoTime();
    /** The manifest, staged until the commit publishes it (see {@link ObjectStore}). */
    private final ObjectStore.Staged manifestOut;
    private final ManifestWriter manifest;
    /** What the manifest's attributes record says at commit, beside the sizes (docs/FORMAT.md). */
    private final java.util.Map<String, String> attributes;
    private final Set<String> partNames = new HashSet<>();
    /** Names of parts that are not directories: nothing may be named under them. */
    private final Set<String> leafNames = new HashSet<>();
    /**
     * Each directory some part lies under (its names' ancestors), mapped to the first such part:
     * a later non-directory part of that name is refused, as restore could not create both.
     */
    private final java.util.Map<String, String> ancestorOf = new java.util.HashMap<>();
    private State state = State.OPEN;
    /** Null in stream mode. */
    private DeltaReceiver delta;
    /** The owner and epoch this upload began under: its commit is refused (FENCED) if they changed. */
    private UploadEpoch began;
    /** The uploading connection's tenant: new_chunks and stored_bytes count what is new to it. */
    private String tenant = DEFAULT_TENANT;

    private long partId;
    private int partSeq = -1;
    private PartInfo part;
    private int chunkSeq;
    private long partLength;

    private long logicalBytes;
    private long storedBytes;
    private long chunkCount;
    private long newChunkCount;

    private IngestSession(Datastore ds, Catalog catalog, PackStore packs, ChunkerParams params, long checkpointId,
            String wpar, long takenAt, ObjectStore.Staged manifestOut, ManifestWriter manifest,
            java.util.Map<String, String> attributes, boolean deltaMode) {
        this.ds = ds;
        this.catalog = catalog;
        this.packs = packs;
        this.cutter = deltaMode ? null : new StreamCutter(params, BUFFER_SIZE);
        // A delta upload never cuts bytes itself: its DeltaReceiver holds the buffers it needs.
        this.buf = new byte[deltaMode ? 0 : BUFFER_SIZE];
        this.compressed = new byte[deltaMode ? 0 : compression.maxCompressedLength(params.maxSize())];
        this.writer = deltaMode ? null
                : new ChunkBatchWriter(catalog, packs, BATCH_BYTES + PackFormat.RECORD_HEADER_LENGTH + compressed.length);
        this.checkpointId = checkpointId;
        this.wpar = wpar;
        this.takenAt = takenAt;
        this.manifestOut = manifestOut;
        this.manifest = manifest;
        this.attributes = attributes;
    }

    /** Registers a new, invisible checkpoint and returns the session that fills it. */
    public static IngestSession begin(Datastore ds, Catalog catalog, PackStore packs, ChunkerParams params,
            String wpar, long takenAt, String kind, List<String> labels, String host) throws IOException {
        return begin(ds, catalog, packs, params, wpar, takenAt, kind, labels, host, "", "unknown", "");
    }

    /**
     * Registers a new, invisible checkpoint with the agent's upload key (empty for none) and the
     * health it found, and returns the session that fills it. A key already used by an upload
     * still in progress is refused with CONFLICT (callers check for a completed one first).
     */
    public static IngestSession begin(Datastore ds, Catalog catalog, PackStore packs, ChunkerParams params,
            String wpar, long takenAt, String kind, List<String> labels, String host, String key, String health,
            String healthReason) throws IOException {
        return begin(ds, catalog, packs, params, wpar, takenAt, kind, labels, host, key, health, healthReason,
                DEFAULT_TENANT, false);
    }

    /** The tenant of a connection that names none: every checkpoint before tenants existed. */
    public static final String DEFAULT_TENANT = "default";

    /**
     * Like the stream-mode {@code begin}, for {@code tenant} (recorded on the checkpoint: its chunks
     * form that tenant's dedup scope) and, when {@code deltaMode}, a delta upload.
     */
    public static IngestSession begin(Datastore ds, Catalog catalog, PackStore packs, ChunkerParams params,
            String wpar, long takenAt, String kind, List<String> labels, String host, String key, String health,
            String healthReason, String tenant, boolean deltaMode) throws IOException {
        Names.checkWpar(wpar);
        Names.checkKind(kind);
        Names.checkLabels(labels);
        Names.checkHealth(health, healthReason);
        Names.checkUploadKey(key);
        packs.checkReserve();
        long now = System.currentTimeMillis();
        String dbKey = key.isEmpty() ? null : key;
        var began = new UploadEpoch[1];
        long id = catalog.write(h -> {
            h.attach(WparDao.class).ensure(wpar, now);
            began[0] = UploadFence.checkUpload(h, ds.journal(), wpar, host, now);
            CheckpointDao dao = h.attach(CheckpointDao.class);
            if (dbKey != null && dao.findByKey(wpar, dbKey).isPresent()) {
                throw new RequestRefusedException(ErrorCode.CONFLICT, "an upload with key '" + key + "' for WPAR " + wpar
                        + " is already in progress; retry when it has ended");
            }
            long cp = dao.create(wpar, takenAt, kind, host, now, dbKey, health, healthReason);
            if (!tenant.equals(DEFAULT_TENANT)) {
                dao.setTenant(cp, tenant);
            }
            if (!labels.isEmpty()) {
                h.attach(LabelDao.class).add(cp, labels);
            }
            return cp;
        });
        ObjectStore.Staged staged = null;
        try {
            staged = ds.objects().stage(Datastore.manifestKey(id));
            ManifestWriter mw = new ManifestWriter(staged.output(), new CheckpointHeader(id, wpar, takenAt, kind, labels));
            java.util.Map<String, String> attrs = new java.util.TreeMap<>();
            attrs.put("host", host);
            attrs.put("health", health);
            attrs.put("health_reason", healthReason);
            attrs.put("created_at", Long.toString(now));
            if (!key.isEmpty()) {
                attrs.put("upload_key", key);
            }
            if (deltaMode) {
                attrs.put("upload_mode", "delta");
            }
            if (!tenant.equals(DEFAULT_TENANT)) {
                attrs.put("tenant", tenant);
            }
            IngestSession s = new IngestSession(ds, catalog, packs, params, id, wpar, takenAt, staged, mw, attrs, deltaMode);
            s.began = began[0];
            s.tenant = tenant;
            if (deltaMode) {
                s.delta = new DeltaReceiver(catalog, packs, id, tenant);
            }
            return s;
        } catch (IOException | RuntimeException e) {
            if (staged != null) {
                staged.close();
            }
            catalog.write(h -> h.attach(CheckpointDao.class).delete(id));
            throw e;
        }
    }

    public long checkpointId() {
        return checkpointId;
    }

    public String wpar() {
        return wpar;
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
    public java.util.BitSet missing(Frame.ChunkQuery q) throws IOException {
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
        delta.refs(r, partId, chunkSeq, part.name());
        for (int i = 0; i < r.count(); i++) {
            manifest.chunk(r.digests(), i * 32, r.lengths()[i]);
            partLength += r.lengths()[i];
        }
        chunkSeq += r.count();
        chunkCount += r.count();
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
        try {
            // No component past NAME_MAX: the restore could not create it. The decoder already made
            // the name canonical (PartNames), so the name checks below are checks on the file's bytes.
            PartNames.checkStorable(info.name());
        } catch (IllegalArgumentException e) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, e.getMessage());
        }
        if (!partNames.add(info.name())) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part '" + info.name() + "' sent twice");
        }
        for (int slash = info.name().indexOf('/'); slash > 0; slash = info.name().indexOf('/', slash + 1)) {
            String parent = info.name().substring(0, slash);
            if (leafNames.contains(parent)) {
                throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part '" + info.name() + "' lies under '" + parent
                        + "', which is not a directory (a symbolic link or file)");
            }
        }
        if (info.type() != PartType.DIRECTORY) {
            String under = ancestorOf.get(info.name());
            if (under != null) {
                throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part '" + info.name() + "' is a " + info.type()
                        + " but part '" + under + "' lies under it: restore could not create both");
            }
            leafNames.add(info.name());
        }
        // Ancestors from the nearest up; one already known has its own ancestors known too.
        for (int slash = info.name().lastIndexOf('/'); slash > 0; slash = info.name().lastIndexOf('/', slash - 1)) {
            if (ancestorOf.putIfAbsent(info.name().substring(0, slash), info.name()) != null) {
                break;
            }
        }
        int seq = ++partSeq;
        partId = catalog.write(h -> h.attach(PartDao.class).create(checkpointId, seq, info.name(),
                info.type().code(), info.mode(), info.mtimeMillis(), info.linkTarget()));
        manifest.beginPart(info);
        part = info;
        chunkSeq = 0;
        partLength = 0;
        partSha.reset();
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
        while (data.isReadable()) {
            int n = Math.min(data.readableBytes(), buf.length - bufLen);
            data.readBytes(buf, bufLen, n);
            partSha.update(buf, bufLen, n);
            bufLen += n;
            partLength += n;
            if (bufLen == buf.length) {
                cutAndStore(false);
            }
        }
    }

    public void endPart(long length, byte[] sha256) throws IOException {
        if (state != State.IN_PART) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part end outside a part");
        }
        byte[] actual;
        if (delta != null) {
            // The client's claim: the chunks are proven, their order and lengths checked; every restore
            // recomputes the part's SHA-256 over them and refuses a mismatch (docs/PROTOCOL.md).
            if (length != partLength) {
                throw new RequestRefusedException(ErrorCode.CORRUPT, "part '" + part.name() + "': its chunk lengths add up to "
                        + partLength + " bytes != " + length + " announced by the client");
            }
            if (sha256.length != 32) {
                throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "part '" + part.name() + "': SHA-256 of " + sha256.length + " bytes");
            }
            actual = sha256.clone();
        } else {
            cutAndStore(true);
            actual = partSha.digest();
        }
        if (length != partLength) {
            throw new RequestRefusedException(ErrorCode.CORRUPT, "part '" + part.name() + "': received " + partLength
                    + " bytes != " + length + " announced by the client (connection damaged?)");
        }
        if (!Arrays.equals(actual, sha256)) {
            throw new RequestRefusedException(ErrorCode.CORRUPT, "part '" + part.name()
                    + "': SHA-256 of the received bytes does not match the client's (data damaged in transit)");
        }
        long id = partId;
        long chunks = chunkSeq;
        catalog.write(h -> {
            h.attach(PartDao.class).finish(id, length, actual, chunks);
            return null;
        });
        manifest.endPart(length, actual);
        logicalBytes += length;
        state = State.OPEN;
    }

    /** Cuts every whole chunk out of the buffer (all of it at the end of a part) and stores them. */
    private void cutAndStore(boolean endOfPart) throws IOException {
        int pos = cutter.cut(buf, bufLen, endOfPart);
        storeBatch();
        System.arraycopy(buf, pos, buf, 0, bufLen - pos);
        bufLen -= pos;
    }

    /** Stores the chunks of the last cut. */
    private void storeBatch() throws IOException {
        int batchCount = cutter.count();
        if (batchCount == 0) {
            return;
        }
        byte[] digests = cutter.digests();
        // One copy of each digest serves the lookup, the chunk rows and the chunk list; the sets
        // wrap those copies (ByteBuffer compares contents) instead of copying them again.
        List<byte[]> all = new ArrayList<>(batchCount);
        List<byte[]> unique = new ArrayList<>(batchCount);
        Set<ByteBuffer> known = new HashSet<>(2 * batchCount);
        for (int i = 0; i < batchCount; i++) {
            byte[] d = Arrays.copyOfRange(digests, i * 32, i * 32 + 32);
            all.add(d);
            if (known.add(ByteBuffer.wrap(d))) {
                unique.add(d);
            }
        }
        known.clear();
        // The dedup lock is held from the existence check until the references are committed
        // (ChunkBatchWriter; docs/ARCHITECTURE.md, "GC safety").
        writer.underDedupLock(() -> {
            List<byte[]> existing = writer.existing(unique);
            for (byte[] d : existing) {
                known.add(ByteBuffer.wrap(d));
            }
            countNewToTenant(existing, all);
            for (int i = 0; i < batchCount; i++) {
                if (known.add(ByteBuffer.wrap(all.get(i)))) {
                    storeChunk(i, all.get(i));
                }
            }
            List<Integer> seqs = new ArrayList<>(batchCount);
            for (int i = 0; i < batchCount; i++) {
                seqs.add(chunkSeq + i);
                manifest.chunk(digests, i * 32, cutter.length(i));
            }
            long pid = partId;
            newChunkCount += writer.commit(h -> {
                h.attach(PartChunkDao.class).add(pid, seqs, all);
                return null;
            });
        });
        chunkSeq += batchCount;
        chunkCount += batchCount;
    }

    /**
     * Counts as new (in new_chunks and stored_bytes) the chunks of this batch that the datastore
     * holds but that are outside this tenant's dedup scope: a tenant is told what is new to it, as
     * if it were alone, and learns nothing of other tenants' data (docs/SECURITY.md, "Tenants").
     * Each counts the record it would have taken had it been stored now (same codec rule as
     * {@link #storeChunk}), so a copy of another tenant's bytes reads exactly as fresh data. A chunk
     * counted here lands in this upload's chunk list in this batch, so a later batch finds it in
     * scope ({@link ChunkDao#inScope} counts this checkpoint's own lists) and does not count it
     * again. Runs under the dedup lock with the existence check; reads only, so a kill -9 at any
     * point leaves nothing behind (the counts die with the uncommitted upload).
     */
    private void countNewToTenant(List<byte[]> existing, List<byte[]> all) throws IOException {
        if (existing.isEmpty() || !catalog.read(h -> h.attach(ChunkDao.class).otherTenants(tenant))) {
            return; // no other tenant: every stored chunk is this tenant's, or garbage of no one's
        }
        Set<ByteBuffer> foreign = new HashSet<>(2 * existing.size());
        for (byte[] d : existing) {
            foreign.add(ByteBuffer.wrap(d));
        }
        for (ChunkDao.Stored c : catalog.read(h -> h.attach(ChunkDao.class).inScope(existing, tenant, checkpointId))) {
            foreign.remove(ByteBuffer.wrap(c.digest()));
        }
        for (int i = 0; i < cutter.count() && !foreign.isEmpty(); i++) {
            if (foreign.remove(ByteBuffer.wrap(all.get(i)))) {
                int len = cutter.length(i);
                int clen = compression.compress(buf, cutter.offset(i), len, compressed);
                newChunkCount++;
                storedBytes += PackFormat.RECORD_HEADER_LENGTH + (clen < 0 ? len : clen);
            }
        }
    }

    /** Compresses chunk {@code i} when {@link ChunkCompression} says so, and adds it to the record batch. */
    private void storeChunk(int i, byte[] digest) throws IOException {
        int off = cutter.offset(i);
        int len = cutter.length(i);
        int clen = compression.compress(buf, off, len, compressed);
        boolean useLz4 = clen >= 0;
        int stored = useLz4 ? clen : len;
        writer.add(digest, useLz4 ? PackFormat.CODEC_LZ4 : PackFormat.CODEC_NONE, len,
                useLz4 ? compressed : buf, useLz4 ? 0 : off, stored);
        storedBytes += PackFormat.RECORD_HEADER_LENGTH + stored;
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
            if (delta != null) {
                delta.flush();
                storedBytes += delta.storedBytes();
                newChunkCount += delta.newChunks();
            }
            packs.sync();
            int parts = partSeq + 1;
            long now = System.currentTimeMillis();
            attributes.put("completed_at", Long.toString(now));
            attributes.put("logical_bytes", Long.toString(logicalBytes));
            attributes.put("stored_bytes", Long.toString(storedBytes));
            attributes.put("chunk_count", Long.toString(chunkCount));
            attributes.put("new_chunk_count", Long.toString(newChunkCount));
            manifest.finish(attributes);
            manifest.close();
            manifestOut.publish(); // durable under its name before the commit transaction (docs/FORMAT.md, "Journal")
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
                    ds.journal().append(io.ckpt.store.Journal.commit(checkpointId, wpar, now));
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
            return new Committed(checkpointId, wpar, takenAt, logicalBytes, storedBytes, chunkCount, newChunkCount,
                    parts, duration);
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
        if (writer != null) {
            writer.releasePins();
        }
        if (delta != null) {
            delta.releasePins();
        }
        try {
            manifest.close();
        } catch (IOException ignored) {
            // being discarded
        }
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
            manifestOut.close(); // drops it unless the commit published it
            if (rowGone) {
                ds.objects().delete(Datastore.manifestKey(checkpointId));
            }
        } catch (IOException ignored) {
            // tmp/ is emptied at the next start, and a manifest without a complete checkpoint is ignored
        }
    }
}
