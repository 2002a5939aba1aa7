package io.ckpt.ingest;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.store.PackFormat;
import io.ckpt.store.PackStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * The delta-mode half of an {@link IngestSession}: answers chunk queries from the tenant's dedup
 * scope, proves and stores the chunks the client sends, and checks each part's chunk list.
 *
 * <p>A received chunk is decompressed (when LZ4) and its SHA-256 compared with the digest it came
 * under before anything is kept; a mismatch fails the upload. Proven chunks wait in memory (at most
 * {@link StreamChunks#BATCH_BYTES} of payload); a flush asks the catalog which of them the datastore
 * already holds (chunks stay globally deduplicated: another tenant's copy is simply used), appends
 * the others to a pack in one write, and records all of them in {@code upload_chunks} in the same
 * transaction as their chunk rows. Those rows put the chunks in this upload's scope and keep garbage
 * collection off them until the chunk lists use them. All of that runs under the shared side of
 * {@link PackStore#dedupLock()}, as stream mode's batches do.
 *
 * <p>A CHUNK_REFS batch is checked and recorded in one transaction under the same lock: every digest
 * must be in scope (used by a complete checkpoint of the tenant, or sent by this upload) and its
 * length must be the stored chunk's, otherwise the upload is refused. The client's part SHA-256 is not recomputed (that would mean reading every
 * referenced chunk back); it is stored, and every restore checks the part against it.
 *
 * <p>Not thread-safe: called from the session's worker thread only.
 */
final class DeltaReceiver {
    private static final HexFormat HEX = HexFormat.of();
    private static final LZ4SafeDecompressor LZ4 = LZ4Factory.fastestInstance().safeDecompressor();

    private final Catalog catalog;
    private final PackStore packs;
    private final long checkpointId;
    private final String tenant;
    private final MessageDigest sha = ChunkDigest.sha256();
    private final byte[] raw = new byte[Frame.ChunkData.MAX_RAW_LENGTH];
    private final ChunkBatchWriter writer;

    /** Proven chunks not yet flushed, and their digests as a set (ByteBuffer compares contents). */
    private final List<Frame.ChunkData> pending = new ArrayList<>();
    private final Set<ByteBuffer> pendingSet = new HashSet<>();
    private long pendingBytes;

    private long storedBytes;
    private long newChunks;
    private long receivedChunks;

    DeltaReceiver(Catalog catalog, PackStore packs, long checkpointId, String tenant) {
        this.catalog = catalog;
        this.packs = packs;
        this.checkpointId = checkpointId;
        this.tenant = tenant;
        this.writer = new ChunkBatchWriter(catalog, packs,
                StreamChunks.BATCH_BYTES + PackFormat.RECORD_HEADER_LENGTH + Frame.ChunkData.MAX_RAW_LENGTH);
    }

    long storedBytes() {
        return storedBytes;
    }

    long newChunks() {
        return newChunks;
    }

    long receivedChunks() {
        return receivedChunks;
    }

    String tenant() {
        return tenant;
    }

    /** Which of the query's digests are missing from the scope: one catalog read (tenant check, then one lookup). */
    BitSet missing(Frame.ChunkQuery q) throws IOException {
        int n = q.count();
        List<byte[]> digests = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            digests.add(Arrays.copyOfRange(q.digests(), i * 32, i * 32 + 32));
        }
        Set<ByteBuffer> present = new HashSet<>(2 * n);
        for (ChunkDao.Stored c : catalog.read(h -> h.attach(ChunkDao.class).inScope(distinct(digests), tenant, checkpointId))) {
            present.add(ByteBuffer.wrap(c.digest()));
        }
        BitSet missing = new BitSet(n);
        for (int i = 0; i < n; i++) {
            ByteBuffer d = ByteBuffer.wrap(digests.get(i));
            if (!present.contains(d) && !pendingSet.contains(d)) {
                missing.set(i);
            }
        }
        return missing;
    }

    /** Proves one chunk against its digest and keeps it for the next flush. */
    void chunk(Frame.ChunkData d) throws IOException {
        int len = d.rawLength();
        byte[] bytes;
        if (d.codec() == Frame.ChunkData.CODEC_LZ4) {
            int n;
            try {
                n = LZ4.decompress(d.payload(), 0, d.payload().length, raw, 0, len);
            } catch (LZ4Exception e) {
                throw new RequestRefusedException(ErrorCode.CORRUPT, "chunk " + HEX.formatHex(d.digest())
                        + ": LZ4 payload does not decompress (" + e.getMessage() + "); upload refused");
            }
            if (n != len) {
                throw new RequestRefusedException(ErrorCode.CORRUPT, "chunk " + HEX.formatHex(d.digest()) + ": LZ4 payload gives "
                        + n + " bytes != " + len + " announced; upload refused");
            }
            bytes = raw;
        } else {
            bytes = d.payload();
        }
        sha.update(bytes, 0, len);
        byte[] actual = sha.digest();
        if (!Arrays.equals(actual, d.digest())) {
            throw new RequestRefusedException(ErrorCode.CORRUPT, "chunk " + HEX.formatHex(d.digest())
                    + ": SHA-256 of its data is " + HEX.formatHex(actual) + " != its digest; upload refused");
        }
        receivedChunks++;
        if (!pendingSet.add(ByteBuffer.wrap(d.digest()))) {
            return; // sent twice in one batch: one copy is enough
        }
        pending.add(d);
        pendingBytes += PackFormat.RECORD_HEADER_LENGTH + d.payload().length;
        if (pendingBytes >= StreamChunks.BATCH_BYTES) {
            flush();
        }
    }

    /**
     * Stores the pending chunks the datastore lacks and records all of them as sent by this upload:
     * one lookup, one pack append, one transaction.
     */
    void flush() throws IOException {
        if (pending.isEmpty()) {
            return;
        }
        List<byte[]> digests = new ArrayList<>(pending.size());
        for (Frame.ChunkData d : pending) {
            digests.add(d.digest());
        }
        // The dedup lock is held from the existence check until the rows are committed
        // (ChunkBatchWriter; docs/ARCHITECTURE.md, "GC safety").
        writer.underDedupLock(() -> {
            Set<ByteBuffer> stored = new HashSet<>();
            for (byte[] d : writer.existing(digests)) {
                stored.add(ByteBuffer.wrap(d));
            }
            Set<ByteBuffer> foreign = newToTenant(stored);
            for (Frame.ChunkData d : pending) {
                if (stored.contains(ByteBuffer.wrap(d.digest()))) {
                    if (foreign.contains(ByteBuffer.wrap(d.digest()))) {
                        newChunks++; // new to this tenant, though stored already: counted as if stored now
                        storedBytes += PackFormat.RECORD_HEADER_LENGTH + d.payload().length;
                    }
                    continue;
                }
                int c = d.codec() == Frame.ChunkData.CODEC_LZ4 ? PackFormat.CODEC_LZ4 : PackFormat.CODEC_NONE;
                writer.add(d.digest(), c, d.rawLength(), d.payload(), 0, d.payload().length);
                storedBytes += PackFormat.RECORD_HEADER_LENGTH + d.payload().length;
            }
            newChunks += writer.commit(h -> {
                h.attach(ChunkDao.class).sentBy(checkpointId, digests);
                return null;
            });
        });
        pending.clear();
        pendingSet.clear();
        pendingBytes = 0;
    }

    /**
     * Which of the {@code stored} digests are outside this tenant's dedup scope (no complete
     * checkpoint of the tenant uses them, nor did this upload send or list them): the client sent
     * their bytes because the scope lacks them, and they count as new to it, so new_chunks and
     * stored_bytes say nothing of other tenants' data (docs/SECURITY.md, "Tenants"). Read before
     * this flush records them as sent (which would put them in scope), under the dedup lock.
     */
    private Set<ByteBuffer> newToTenant(Set<ByteBuffer> stored) throws IOException {
        Set<ByteBuffer> foreign = new HashSet<>(stored);
        if (stored.isEmpty() || !catalog.read(h -> h.attach(ChunkDao.class).otherTenants(tenant))) {
            return Set.of();
        }
        List<byte[]> digests = new ArrayList<>(stored.size());
        stored.forEach(b -> digests.add(b.array()));
        for (ChunkDao.Stored c : catalog.read(h -> h.attach(ChunkDao.class).inScope(digests, tenant, checkpointId))) {
            foreign.remove(ByteBuffer.wrap(c.digest()));
        }
        return foreign;
    }

    /**
     * Checks that every digest of {@code refs} is in scope and appends them to part {@code partId}
     * from chunk sequence {@code fromSeq} on, in one transaction.
     */
    void refs(Frame.ChunkRefs refs, long partId, int fromSeq, String partName) throws IOException {
        flush();
        int n = refs.count();
        List<byte[]> all = new ArrayList<>(n);
        List<Integer> seqs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            all.add(Arrays.copyOfRange(refs.digests(), i * 32, i * 32 + 32));
            seqs.add(fromSeq + i);
        }
        var dedup = packs.dedupLock().readLock();
        dedup.lock(); // from the scope check until the chunk list rows are committed
        try {
            catalog.write(h -> {
                java.util.Map<ByteBuffer, Integer> present = new java.util.HashMap<>(2 * n);
                for (ChunkDao.Stored c : h.attach(ChunkDao.class).inScope(distinct(all), tenant, checkpointId)) {
                    present.put(ByteBuffer.wrap(c.digest()), c.raw());
                }
                for (int i = 0; i < n; i++) {
                    Integer raw = present.get(ByteBuffer.wrap(all.get(i)));
                    if (raw == null) {
                        throw new RequestRefusedException(ErrorCode.REFUSED, "part '" + partName + "', chunk " + (fromSeq + i)
                                + ": digest " + HEX.formatHex(all.get(i)) + " was not sent in this upload and no"
                                + " complete checkpoint of tenant '" + tenant + "' uses it; upload refused (send the chunk)");
                    }
                    if (raw != refs.lengths()[i]) {
                        throw new RequestRefusedException(ErrorCode.CORRUPT, "part '" + partName + "', chunk " + (fromSeq + i)
                                + ": length " + refs.lengths()[i] + " != " + raw + " stored for digest "
                                + HEX.formatHex(all.get(i)) + "; upload refused");
                    }
                }
                h.attach(PartChunkDao.class).add(partId, seqs, all);
                return null;
            });
        } finally {
            dedup.unlock();
        }
    }

    /** Releases the pack pins of this upload's appends (docs/ARCHITECTURE.md, "GC safety"). */
    void releasePins() {
        writer.releasePins();
    }

    private static List<byte[]> distinct(List<byte[]> digests) {
        Set<ByteBuffer> seen = new HashSet<>(2 * digests.size());
        List<byte[]> out = new ArrayList<>(digests.size());
        for (byte[] d : digests) {
            if (seen.add(ByteBuffer.wrap(d))) {
                out.add(d);
            }
        }
        return out;
    }
}
