package io.ckpt.ingest;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.store.PackStore;
import io.ckpt.store.RecordBatch;
import java.io.IOException;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * Stores one batch of chunks for an upload, stream or delta mode alike: under the shared side of
 * {@link PackStore#dedupLock()}, asks the catalog which digests the datastore holds
 * ({@link #existing}), lays out the new chunks as records ({@link #add}; the batch goes to the pack
 * store in one write whenever the next record would not fit), then in one transaction inserts
 * their {@code chunks} rows together with the caller's own rows ({@link #commit}: the part's chunk
 * list, or the delta upload's {@code upload_chunks}). The caller decides which chunks are new and
 * how each is encoded; this class owns the lock, the record batch, the new rows and the pins.
 *
 * <p>Invariants (docs/ARCHITECTURE.md, "GC safety"). <em>Dedup:</em> the shared side of the dedup
 * lock is held from the existence query until the rows that use what it found are committed, so
 * GC's sweep (which deletes chunk rows under the exclusive side) cannot delete a chunk this batch
 * deduplicated against in between. <em>Pins:</em> every {@link PackStore#append} pins its pack;
 * the pins are released only after the transaction inserting the rows that point into those
 * records has committed ({@link #commit}), or, when that transaction fails or never runs, by the
 * session's discard ({@link #releasePins}), after which no row of this upload can point there.
 * Compaction skips pinned packs, so it never moves or drops a pack whose rows are still to come.
 * Under kill -9 nothing here is durable but appended records without rows: the torn tail and
 * unreferenced records are garbage that Recovery and GC remove; the chunk rows and chunk lists
 * commit together or not at all.
 *
 * <p>The new rows live in primitive arrays reused from batch to batch (a batch holds at most a
 * few thousand chunks), handed to {@link ChunkDao#add} as list views without copying.
 *
 * <p>Not thread-safe: one per upload, called from the session's worker thread only.
 */
final class ChunkBatchWriter {
    private final Catalog catalog;
    private final PackStore packs;
    private final RecordBatch records;

    // The new chunks of this batch, in record order; the first `placed` have been appended.
    private byte[][] digests = new byte[256][];
    private long[] packIds = new long[256];
    private long[] offsets = new long[256];
    private int[] raw = new int[256];
    private int[] stored = new int[256];
    private int[] codec = new int[256];
    private int count;
    private int placed;

    /** One entry per append whose rows are not committed yet: PackStore pins, released in {@link #releasePins}. */
    private final List<Long> pinned = new ArrayList<>();

    /** {@code recordBytes}: the record batch's capacity (a batch plus the largest single record). */
    ChunkBatchWriter(Catalog catalog, PackStore packs, int recordBytes) {
        this.catalog = catalog;
        this.packs = packs;
        this.records = new RecordBatch(recordBytes);
    }

    /** One batch's work, run under the dedup lock by {@link #underDedupLock}. */
    @FunctionalInterface
    interface Batch {
        void run() throws IOException;
    }

    /**
     * Runs {@code batch} under the shared side of the dedup lock: from the existence check until
     * the rows are committed (see PackStore.dedupLock). Whatever the batch left unwritten is
     * dropped on the way out; on failure the pins stay until {@link #releasePins}.
     */
    void underDedupLock(Batch batch) throws IOException {
        Lock dedup = packs.dedupLock().readLock();
        dedup.lock();
        try {
            batch.run();
        } finally {
            records.clear();
            count = 0;
            placed = 0;
            dedup.unlock();
        }
    }

    /** Which of {@code digests} (distinct) the datastore holds, any tenant's: one catalog query. */
    List<byte[]> existing(List<byte[]> digests) throws IOException {
        return catalog.read(h -> h.attach(ChunkDao.class).existing(digests));
    }

    /**
     * Adds a new chunk's record: {@code storedLength} bytes of {@code data} from {@code off}, in
     * {@code codec}, of {@code rawLength} raw bytes, named by the 32 bytes of {@code digest} (kept
     * as it is for the chunk row: the caller must not change it). Appends the batch first when the
     * record would not fit.
     */
    void add(byte[] digest, int codec, int rawLength, byte[] data, int off, int storedLength) throws IOException {
        if (!records.fits(storedLength)) {
            append();
        }
        records.add(digest, 0, codec, rawLength, data, off, storedLength);
        if (count == digests.length) {
            int n = 2 * count;
            digests = Arrays.copyOf(digests, n);
            packIds = Arrays.copyOf(packIds, n);
            offsets = Arrays.copyOf(offsets, n);
            raw = Arrays.copyOf(raw, n);
            stored = Arrays.copyOf(stored, n);
            this.codec = Arrays.copyOf(this.codec, n);
        }
        digests[count] = digest;
        raw[count] = rawLength;
        stored[count] = storedLength;
        this.codec[count] = codec;
        count++;
    }

    /**
     * Appends the records left, then one write transaction: the new chunks' rows and
     * {@code alsoInTransaction} (the caller's rows that use the batch); then releases the pins,
     * since the rows are in and GC may judge those packs now. Returns how many chunks were new.
     */
    int commit(Catalog.Work<?> alsoInTransaction) throws IOException {
        append();
        int n = count;
        catalog.write(h -> {
            if (n > 0) {
                h.attach(ChunkDao.class).add(Arrays.asList(digests).subList(0, n), longs(packIds, n), longs(offsets, n),
                        ints(raw, n), ints(stored, n), ints(codec, n));
            }
            alsoInTransaction.run(h);
            return null;
        });
        releasePins(); // the rows are in (on failure, the session's discard releases)
        count = 0;
        placed = 0;
        return n;
    }

    /** Appends the record batch to a pack (one write, which pins it) and notes where each record landed. */
    private void append() throws IOException {
        if (records.count() == 0) {
            return;
        }
        packs.checkReserve();
        PackStore.Placement at = packs.append(records);
        pinned.add(at.packId());
        for (int r = 0; r < records.count(); r++, placed++) {
            packIds[placed] = at.packId();
            offsets[placed] = at.baseOffset() + records.offset(r);
        }
        records.clear();
    }

    /** Releases the pack pins of this upload's appends (docs/ARCHITECTURE.md, "GC safety"). */
    void releasePins() {
        pinned.forEach(packs::release);
        pinned.clear();
    }

    private static List<Long> longs(long[] a, int n) {
        return new AbstractList<>() {
            @Override
            public Long get(int i) {
                return a[i];
            }

            @Override
            public int size() {
                return n;
            }
        };
    }

    private static List<Integer> ints(int[] a, int n) {
        return new AbstractList<>() {
            @Override
            public Integer get(int i) {
                return a[i];
            }

            @Override
            public int size() {
                return n;
            }
        };
    }
}
