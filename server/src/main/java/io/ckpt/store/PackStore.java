package io.ckpt.store;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared append point for every ingest session: one open pack at a time, rotated when it
 * reaches the target size. Appends are serialized; a batch is written with one call, so records
 * of different sessions never interleave within a batch.
 *
 * <p>Durability: {@link #sync()} fsyncs the open pack. A pack is fsynced when it is sealed, so
 * after {@code sync()} returns every record appended before it is durable, whichever pack it is
 * in. Ingest calls it before the catalog transaction that makes a checkpoint complete.
 */
public final class PackStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PackStore.class);

    /** Where a batch landed. */
    public record Placement(long packId, long baseOffset) {}

    private final Datastore ds;
    /**
     * Uploads hold this shared from "which of these chunks exist?" until the rows that reference
     * them are committed; garbage collection holds it exclusively while it deletes chunk rows, so
     * it never removes a chunk an upload has just deduplicated against.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock dedupLock =
            new java.util.concurrent.locks.ReentrantReadWriteLock(true); // fair: a waiting GC is not starved by uploads
    private final PackLedger ledger;
    private final long targetSize;
    private PackWriter current;
    /** Pack id -> appends into it whose catalog rows are not yet committed (see the class comment). */
    private final java.util.Map<Long, Integer> pins = new java.util.HashMap<>();
    private boolean closed;
    /** Set when a pack could not be made durable: no checkpoint may commit until a restart checks it. */
    private volatile IOException poisoned;

    private FreeSpaceReserve reserve;

    public PackStore(Datastore ds, PackLedger ledger, long targetSize) {
        this.ds = ds;
        this.ledger = ledger;
        this.targetSize = targetSize;
    }

    /** Sets the space uploads must leave free (see {@link #checkReserve()}). */
    public void reserve(FreeSpaceReserve reserve) {
        this.reserve = reserve;
    }

    /**
     * For uploads: fails with NoSpace when the disk is down to its reserve. An early refusal (at
     * the start of an upload, before a batch is built); {@link #append} checks again, exactly.
     */
    public void checkReserve() throws IOException {
        if (reserve != null) {
            reserve.check();
        }
    }

    public java.util.concurrent.locks.ReentrantReadWriteLock dedupLock() {
        return dedupLock;
    }

    /**
     * Appends an upload's {@code batch} to the open pack (rotating it when full) and pins that pack:
     * the caller must {@link #release} the returned pack id once the rows pointing at these records
     * are committed or abandoned. Fails with NoSpace, writing nothing, when the batch would take free
     * space below the reserve: the file system is asked now, under this monitor, so concurrent
     * uploads cannot pass the check together and overshoot it (a new pack's 32-byte header aside).
     */
    public synchronized Placement append(RecordBatch batch) throws IOException {
        if (reserve != null) {
            reserve.check(batch.bytes());
        }
        return appendUnchecked(batch);
    }

    /**
     * Like {@link #append} but allowed to use the reserve: for garbage collection, whose compaction
     * must be able to write when uploads have filled the disk to the reserve (that is what the
     * reserve is kept for). GC checks the free space itself before it starts copying a pack.
     */
    public synchronized Placement appendUsingReserve(RecordBatch batch) throws IOException {
        return appendUnchecked(batch);
    }

    private Placement appendUnchecked(RecordBatch batch) throws IOException {
        if (closed) {
            throw new StoreException.Closed("the server is shutting down; retry the upload when it is back");
        }
        if (current != null && (current.isBroken() || current.size() + batch.bytes() > targetSize)) {
            sealCurrent();
        }
        if (current == null) {
            long id = ledger.createPack();
            try {
                current = PackWriter.create(ds, id);
            } catch (IOException e) {
                throw StoreException.classify(e, "creating pack " + id);
            }
        }
        long base = current.append(batch);
        pins.merge(current.id(), 1, Integer::sum);
        return new Placement(current.id(), base);
    }

    /** Releases one pin {@link #append} took on {@code packId}. */
    public synchronized void release(long packId) {
        pins.computeIfPresent(packId, (k, n) -> n == 1 ? null : n - 1);
    }

    /**
     * Whether garbage collection must leave pack {@code packId} alone: it is the open pack, or an
     * append into it has not had its catalog rows committed (or abandoned) yet.
     */
    public synchronized boolean isPinned(long packId) {
        return pins.containsKey(packId) || (current != null && current.id() == packId);
    }

    /** Makes every record appended so far durable. */
    public void sync() throws IOException {
        if (poisoned != null) {
            throw new StoreException("an earlier pack could not be made durable (" + poisoned.getMessage()
                    + "); restart the server so that it checks the datastore", poisoned);
        }
        ObjectStore.Appender open;
        synchronized (this) {
            if (current == null) {
                return;
            }
            open = current.appender();
        }
        try {
            open.force(); // outside the monitor: appends go on meanwhile, and are covered by the next sync
        } catch (ClosedChannelException e) {
            // Sealed (and so fsynced) meanwhile by another thread, or abandoned: then poisoned tells.
            if (poisoned != null) {
                throw new StoreException("an earlier pack could not be made durable (" + poisoned.getMessage()
                        + "); restart the server so that it checks the datastore", poisoned);
            }
        } catch (IOException e) {
            throw StoreException.classify(e, "fsync of the open pack");
        }
    }

    private void sealCurrent() throws IOException {
        PackWriter w = current;
        current = null;
        if (w.isBroken()) {
            // Left open in the catalog: recovery at the next start scans it to its last valid record.
            log.warn("abandoning pack {} after a write error; it is checked at the next start", w.id());
            try {
                w.force(); // other sessions' earlier batches in it must still become durable
            } catch (IOException e) {
                poisoned = e;
                log.error("fsync of abandoned pack {} failed: refusing commits until restart", w.id(), e);
            }
            w.closeQuietly();
            return;
        }
        try {
            w.seal();
        } catch (IOException e) {
            w.closeQuietly();
            poisoned = e; // its records may not be durable, and sync() no longer covers them
            throw StoreException.classify(e, "sealing pack " + w.id());
        }
        ledger.sealPack(w.id(), w.size());
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        if (current != null) {
            sealCurrent();
        }
    }
}
