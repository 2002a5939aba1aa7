package io.ckpt.ingest;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.chunk.ChunkCompression;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
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
 * The bytes of a stream-mode upload, part by part: they collect in a fixed buffer; when it is full
 * (or a part ends) every whole chunk in it is cut and hashed ({@link StreamCutter}), the catalog is
 * asked in one query which digests it already has, the new chunks are compressed
 * ({@link ChunkCompression}) into a record batch that goes to the pack store in one write, and
 * their locations plus the part's chunk list are inserted in one transaction
 * ({@link ChunkBatchWriter}, under the dedup lock). Memory is the buffer and the batch (about
 * 6 MiB), whatever the image size. Not thread-safe: one upload's worker thread.
 */
final class StreamChunks {
    static final int BUFFER_SIZE = 4 * 1024 * 1024;
    static final int BATCH_BYTES = 2 * 1024 * 1024;

    private final Catalog catalog;
    private final long checkpointId;
    /** The uploading connection's tenant: new chunks and stored bytes count what is new to it. */
    private final String tenant;
    private final ManifestDraft manifest;
    private final StreamCutter cutter;
    private final ChunkCompression compression = new ChunkCompression();
    private final MessageDigest partSha = ChunkDigest.sha256();
    private final byte[] buf = new byte[BUFFER_SIZE];
    private int bufLen;
    private final byte[] compressed;
    private final ChunkBatchWriter writer;

    private long partId;
    private int chunkSeq;
    private long partLength;
    private long chunkCount;
    private long newChunks;
    private long storedBytes;

    StreamChunks(Catalog catalog, PackStore packs, ChunkerParams params, long checkpointId, String tenant,
            ManifestDraft manifest) {
        this.catalog = catalog;
        this.checkpointId = checkpointId;
        this.tenant = tenant;
        this.manifest = manifest;
        this.cutter = new StreamCutter(params, BUFFER_SIZE);
        this.compressed = new byte[compression.maxCompressedLength(params.maxSize())];
        this.writer = new ChunkBatchWriter(catalog, packs, BATCH_BYTES + PackFormat.RECORD_HEADER_LENGTH + compressed.length);
    }

    /** A new part, row {@code partId}: its chunk list starts at 0. */
    void beginPart(long partId) {
        this.partId = partId;
        chunkSeq = 0;
        partLength = 0;
        partSha.reset();
    }

    /** Takes the bytes of {@code data} (the caller keeps ownership of the buffer). */
    void data(ByteBuf data) throws IOException {
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

    /** Stores the rest of the part; returns the SHA-256 of its bytes. */
    byte[] endPart() throws IOException {
        cutAndStore(true);
        return partSha.digest();
    }

    /** Bytes of the open (or just ended) part. */
    long partLength() {
        return partLength;
    }

    /** Chunks in the open (or just ended) part's list. */
    int partChunks() {
        return chunkSeq;
    }

    long chunkCount() {
        return chunkCount;
    }

    /** Chunks new to this tenant (stored now, or held only by other tenants). */
    long newChunks() {
        return newChunks;
    }

    /** Record bytes those new chunks take (or would take) in packs. */
    long storedBytes() {
        return storedBytes;
    }

    /** No row of this upload points into a pack any more (docs/ARCHITECTURE.md, "GC safety"). */
    void releasePins() {
        writer.releasePins();
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
            newChunks += writer.commit(h -> {
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
                newChunks++;
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
}
