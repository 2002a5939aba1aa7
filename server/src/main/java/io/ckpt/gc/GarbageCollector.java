package io.ckpt.gc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.ChunkRef;
import io.ckpt.catalog.PackDao;
import io.ckpt.progress.ProgressListener;
import io.ckpt.restore.ReadersInUse;
import io.ckpt.store.ChunkReader;
import io.ckpt.store.Datastore;
import io.ckpt.store.ObjectStore;
import io.ckpt.store.PackFormat;
import io.ckpt.store.PackStore;
import io.ckpt.store.RecordBatch;
import io.ckpt.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mark and sweep over the catalog, then compaction of the packs.
 *
 * <ol>
 *   <li><b>Sweep.</b> A chunk is garbage when no chunk list uses it: not a complete checkpoint's,
 *       and not an upload's in progress (its chunk lists are rows like any other). Garbage is
 *       deleted in batches, each under the exclusive side of {@link PackStore#dedupLock()}, and
 *       each row is checked again inside that delete. Why that suffices: an upload holds the shared
 *       side from the moment it learns a chunk exists until the rows that use it are committed,
 *       so a chunk is either already used when the delete looks, or the upload has not yet asked
 *       and will store the chunk anew. No wall-clock grace period is needed.</li>
 *   <li><b>Compact.</b> A sealed pack whose live records fill less than half of it has them copied
 *       (CRC-checked) into the open pack; once that pack is fsynced, one transaction, itself
 *       fsynced (synchronous=FULL), points the chunks at their copies and forgets the old pack. The
 *       old file is unlinked only after that commit (at once, if no restore or verify runs, so that
 *       the next compaction can use its space): a power loss cannot roll the rows back onto a
 *       deleted file. Wholly dead packs go first, then the ones with most dead bytes; see
 *       {@link #compact} for how this makes progress on a disk filled to its reserve. Chunks are named by digest and chunk lists hold digests, so an upload that
 *       deduplicates against a chunk being moved is unaffected (the sweep, which does delete rows,
 *       is the only step that needs the dedup lock).</li>
 *   <li><b>Delete.</b> Pack files the catalog no longer knows are deleted while no restore is
 *       running (a restore may hold a location read before the move); otherwise at the next run.</li>
 * </ol>
 *
 * <p><b>Why nothing GC deletes can become referenced</b> (docs/ARCHITECTURE.md, "GC safety"). Only
 * an upload's (or compaction's own) pack append makes a chunk row point into a pack, and every
 * append pins its pack in {@link PackStore} until those rows are committed or abandoned; the open
 * pack counts as pinned. A pack is compacted only if it is sealed in the catalog (so it receives
 * no more appends) and, checked after that read, not pinned; its live chunks are read after that
 * check, so they include every row that will ever point into it. The unknown-file sweep lists
 * {@code packs/} first and reads the catalog's pack ids after: a pack's row is committed before
 * its file is created, so a file the listing saw has a row the later read sees, unless compaction
 * (this object, synchronized) deleted the row after moving every chunk out. Pinned ids are skipped
 * there too, as a second line.
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SWEEP_BATCH = 2000;
    /** A pack is compacted when its live records fill less than this share of it. */
    static final double COMPACT_BELOW = 0.5;

    private final Catalog catalog;
    private final Datastore ds;
    private final PackStore packs;
    private final ReadersInUse readers;

    public GarbageCollector(Catalog catalog, Datastore ds, PackStore packs, ReadersInUse readers) {
        this.catalog = catalog;
        this.ds = ds;
        this.packs = packs;
        this.readers = readers;
    }

    /** Runs a collection (or reports what one would do) and returns its report (docs/RETENTION.md, "GC"). */
    public ObjectNode collect(boolean dryRun) throws IOException {
        return collect(dryRun, ProgressListener.NONE);
    }

    /** Like {@link #collect(boolean)}, telling {@code progress} each batch of chunks forgotten and each pack compacted. */
    public synchronized ObjectNode collect(boolean dryRun, ProgressListener progress) throws IOException {
        long start = System.nanoTime();
        ObjectNode out = JSON.createObjectNode().put("dry_run", dryRun);
        if (dryRun) {
            long chunks = 0;
            long bytes = 0;
            Map<Long, Long> garbage = new HashMap<>();
            for (ChunkDao.PackGarbage g : catalog.read(h -> h.attach(ChunkDao.class).garbageByPack())) {
                chunks += g.chunks();
                bytes += g.bytes();
                garbage.put(g.id(), g.bytes());
            }
            int compact = 0;
            for (ChunkDao.PackUse u : packUse()) {
                if (worthCompacting(u.size(), u.live() - garbage.getOrDefault(u.id(), 0L))) {
                    compact++;
                }
            }
            return out.put("chunks_removed", chunks).put("bytes_removed", bytes).put("packs_compacted", compact)
                    .put("duration_ms", (System.nanoTime() - start) / 1_000_000);
        }
        log.info("gc: started");
        long[] swept = sweep(progress);
        List<String> failures = new ArrayList<>();
        boolean shortOfSpace = false;
        long[] compacted = compact(failures, progress);
        long[] deleted = deleteUnknownPacks();
        long packsDeleted = compacted[2] + deleted[0];
        long bytesFreed = compacted[3] + deleted[1];
        long waiting = compacted[4] + deleted[2];
        out.put("chunks_removed", swept[0]).put("bytes_removed", swept[1])
                .put("packs_compacted", compacted[0]).put("bytes_rewritten", compacted[1])
                .put("packs_deleted", packsDeleted).put("bytes_freed", bytesFreed)
                .put("packs_waiting_for_restores", waiting)
                .put("duration_ms", (System.nanoTime() - start) / 1_000_000);
        String summary = String.format("%d unused chunks forgotten (%d bytes), %d packs compacted (%d bytes copied),"
                + " %d pack files deleted (%d bytes freed)%s", swept[0], swept[1], compacted[0], compacted[1],
                packsDeleted, bytesFreed, waiting > 0 ? ", " + waiting + " left for the next run (restores running)" : "");
        if (!failures.isEmpty()) {
            // The client must see it (exit status), not only the log: a GC that could not compact
            // leaves the disk as full as it was. What was done is in the message too.
            String message = "gc incomplete: " + String.join("; ", failures) + " (this run: " + summary + ")";
            log.error("gc: {}", message);
            for (String f : failures) {
                shortOfSpace |= f.contains(NO_SPACE_MARK);
            }
            throw shortOfSpace ? new StoreException.NoSpace(message, null) : new StoreException(message);
        }
        log.info("gc: {}", summary);
        return out;
    }

    /**
     * Returns {chunks deleted, record bytes they held}. Terminates: a candidate the delete skips has
     * become used meanwhile, so the next query no longer returns it; memory is one batch.
     */
    private long[] sweep(ProgressListener progress) throws IOException {
        long chunks = 0;
        long bytes = 0;
        while (true) {
            progress.report("forgetting unused chunks", chunks, -1, null);
            List<ChunkRef> candidates = catalog.read(h -> h.attach(ChunkDao.class).unreferenced(SWEEP_BATCH));
            if (candidates.isEmpty()) {
                return new long[] {chunks, bytes};
            }
            List<byte[]> digests = new ArrayList<>(candidates.size());
            long batchBytes = 0;
            for (ChunkRef c : candidates) {
                digests.add(c.digest());
                batchBytes += PackFormat.RECORD_HEADER_LENGTH + c.storedLength();
            }
            Lock exclusive = packs.dedupLock().writeLock();
            exclusive.lock();
            try {
                int n = catalog.write(h -> h.attach(ChunkDao.class).deleteIfUnreferenced(digests));
                chunks += n;
                bytes += n == digests.size() ? batchBytes : batchBytes * n / digests.size();
            } finally {
                exclusive.unlock();
            }
        }
    }

    /**
     * Sealed packs and their live bytes, without the pinned ones. The pin check runs after the
     * catalog read: a pack sealed in that read receives no more appends, so unpinned now means
     * every row that will ever point into it is committed (compactOne checks again and re-reads).
     */
    private List<ChunkDao.PackUse> packUse() throws IOException {
        return catalog.read(h -> h.attach(ChunkDao.class).packUse()).stream().filter(u -> !packs.isPinned(u.id())).toList();
    }

    private static boolean worthCompacting(long size, long live) {
        long data = Math.max(1, size - PackFormat.HEADER_LENGTH);
        return live < data * COMPACT_BELOW;
    }

    /**
     * Compacts the sealed packs worth it, those that free the most first, each deleted as soon as
     * its moves are durable, so that the space it held serves the next one. Returns {packs compacted,
     * record bytes copied, pack files deleted, bytes freed, files left for the next run}; each pack
     * that could not be compacted adds a line to {@code failures}.
     *
     * <p><b>Progress on a full disk</b> (issue 21). Copying a pack's live records needs that much
     * free space before the old file can go, so: (1) packs with no live record are dropped first,
     * which needs no space at all (one durable transaction, then the unlink); (2) the others are
     * taken by dead bytes, most first, and one is started only if its live bytes (plus
     * {@link #SPACE_MARGIN} for a pack rotation and the catalog) fit in the free space now, the
     * reserve included: uploads are refused at the reserve precisely so that GC can use it
     * ({@link PackStore#appendUsingReserve}); (3) each old pack is unlinked right after its moves
     * commit, and packs skipped for space are tried again while a pass frees something. The unit
     * is one pack: a sealed pack is immutable (ARCHITECTURE.md, property 4), so its space comes
     * back only when all of it goes; cutting a pack in place (truncation, hole punching) would give
     * that up, and hole punching is not portable. A reserve of at least half a pack (a pack is
     * compacted when under half of it is live) therefore lets GC compact any such pack on a disk
     * filled to the reserve (docs/OPERATIONS.md); a pack that does not fit is a failure reported
     * to the client, naming the pack and the space it needs.
     */
    private long[] compact(List<String> failures, ProgressListener listener) throws IOException {
        long[] totals = new long[5];
        List<ChunkDao.PackUse> todo = new ArrayList<>();
        for (ChunkDao.PackUse u : packUse()) {
            if (worthCompacting(u.size(), u.live())) {
                todo.add(u);
            }
        }
        // Wholly dead first (they need no space), then by dead bytes, most first.
        todo.sort(java.util.Comparator.comparing((ChunkDao.PackUse u) -> u.live() > 0)
                .thenComparing(u -> -(u.size() - u.live())));
        Map<Long, String> tooBig = new java.util.LinkedHashMap<>();
        long planned = todo.size();
        long tried = 0; // packs taken up, a pack skipped for space and tried again counting twice
        try (ChunkReader reader = new ChunkReader(ds)) {
            boolean progress = true;
            while (progress && !todo.isEmpty()) {
                progress = false;
                List<ChunkDao.PackUse> skipped = new ArrayList<>();
                for (ChunkDao.PackUse u : todo) {
                    listener.report("compacting packs", tried, Math.max(planned, tried + 1), "pack " + u.id());
                    tried++;
                    long free = usableSpace();
                    if (u.live() > 0 && u.live() + SPACE_MARGIN > free) {
                        tooBig.put(u.id(), "pack " + u.id() + " not compacted: its live chunks (" + mib(u.live())
                                + ") need " + mib(u.live() + SPACE_MARGIN) + " free and only " + mib(free) + " is free on"
                                + " the datastore's file system; " + NO_SPACE_MARK + " (free space, or raise --reserve to at"
                                + " least half of --pack-size so that GC can always compact, then run gc again)");
                        skipped.add(u);
                        continue;
                    }
                    tooBig.remove(u.id());
                    try {
                        long bytes = compactOne(u, reader);
                        if (bytes < 0) {
                            continue;
                        }
                        totals[0]++;
                        totals[1] += bytes;
                        long freed = deleteNow(u.id());
                        if (freed >= 0) {
                            totals[2]++;
                            totals[3] += freed;
                            progress |= freed > 0;
                        } else {
                            totals[4]++;
                        }
                    } catch (IOException e) {
                        String why = StoreException.classify(e, "") instanceof StoreException.NoSpace ? " " + NO_SPACE_MARK : "";
                        failures.add("pack " + u.id() + " not compacted: " + e.getMessage() + why);
                    }
                }
                todo = skipped;
            }
        }
        failures.addAll(tooBig.values());
        return totals;
    }

    /** Marks a failure for lack of space, so that the client gets the disk-full status (exit 6). */
    private static final String NO_SPACE_MARK = "disk full";
    /** Free space a compaction needs beyond its pack's live bytes: a pack rotation and the catalog's writes. */
    static final long SPACE_MARGIN = 2L << 20;

    private long usableSpace() throws IOException {
        return Files.getFileStore(ds.root().resolve("packs")).getUsableSpace();
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    /**
     * Unlinks a pack compaction has just forgotten (its row deleted in a committed, fsynced
     * transaction), unless a restore or verify is registered (it may hold a location read before
     * the move; then the delete step of a later run removes it). Returns the bytes freed, or -1 when
     * left for later.
     */
    private long deleteNow(long packId) throws IOException {
        String key = Datastore.packKey(packId);
        ObjectStore objects = ds.objects();
        return readers.whileLocked(inUse -> {
            if (!inUse.isEmpty()) {
                return -1L;
            }
            long bytes = objects.exists(key) ? objects.size(key) : 0;
            objects.delete(key);
            return bytes;
        });
    }

    /**
     * Copies the live chunks of {@code use}'s pack into the open pack, then moves their rows and
     * forgets the pack in one fsynced transaction; returns the record bytes copied, or -1 when the
     * pack turned out pinned or well used after all.
     */
    private long compactOne(ChunkDao.PackUse use, ChunkReader reader) throws IOException {
        long packId = use.id();
        if (packs.isPinned(packId)) {
            return -1;
        }
        // Read after the pin check: every row that points into this sealed, unpinned pack is committed.
        List<ChunkRef> live = catalog.read(h -> h.attach(ChunkDao.class).inPack(packId));
        long liveBytes = 0;
        for (ChunkRef c : live) {
            liveBytes += PackFormat.RECORD_HEADER_LENGTH + c.storedLength();
        }
        if (!worthCompacting(use.size(), liveBytes)) {
            return -1; // rows committed since the first read fill it after all
        }
        RecordBatch batch = new RecordBatch(4 << 20);
        List<ChunkRef> inBatch = new ArrayList<>();
        List<Object[]> moves = new ArrayList<>(); // digest, new pack, new offset
        List<Long> pinned = new ArrayList<>(); // the packs our copies went to, pinned until the moves commit
        long copied = 0;
        try {
            for (ChunkRef c : live) {
                if (!batch.fits(c.storedLength())) {
                    copied += flush(batch, inBatch, moves, pinned);
                }
                reader.copyTo(batch, c.digest(), c.packId(), c.offset(), c.storedLength(), c.rawLength());
                inBatch.add(c);
            }
            copied += flush(batch, inBatch, moves, pinned);
            packs.sync(); // the copies are durable before the catalog points at them
            // Durable (synchronous=FULL) before the old file can be unlinked by deleteUnknownPacks: at NORMAL
            // a power loss could undo the moves while the unlink stays, and the rows would name a deleted file.
            catalog.writeDurably(h -> {
                ChunkDao chunks = h.attach(ChunkDao.class);
                for (Object[] m : moves) {
                    chunks.move((byte[]) m[0], packId, (Long) m[1], (Long) m[2]);
                }
                h.attach(PackDao.class).delete(packId);
                return null;
            });
        } finally {
            pinned.forEach(packs::release);
        }
        return copied;
    }

    private long flush(RecordBatch batch, List<ChunkRef> inBatch, List<Object[]> moves, List<Long> pinned)
            throws IOException {
        if (batch.count() == 0) {
            return 0;
        }
        PackStore.Placement at = packs.appendUsingReserve(batch); // GC may use the reserve: that is what it is kept for
        pinned.add(at.packId());
        for (int i = 0; i < batch.count(); i++) {
            moves.add(new Object[] {inBatch.get(i).digest(), at.packId(), at.baseOffset() + batch.offset(i)});
        }
        long bytes = batch.bytes();
        batch.clear();
        inBatch.clear();
        return bytes;
    }

    /**
     * Deletes pack files the catalog does not know, if no restore runs; returns {deleted, bytes, left}.
     * The directory is listed before the catalog is read (see the class comment): a pack created
     * meanwhile either is not listed, or has its row already committed when the ids are read.
     */
    private long[] deleteUnknownPacks() throws IOException {
        ObjectStore objects = ds.objects();
        List<String> files = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        for (String key : objects.list("packs/")) {
            String name = key.substring(key.lastIndexOf('/') + 1);
            if (name.endsWith(".pack")) {
                files.add(key);
                ids.add(Long.parseUnsignedLong(name.substring(0, name.length() - 5), 16));
            }
        }
        Set<Long> known = new HashSet<>(catalog.read(h -> h.attach(PackDao.class).ids()));
        List<String> unknown = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            if (!known.contains(ids.get(i)) && !packs.isPinned(ids.get(i))) {
                unknown.add(files.get(i));
            }
        }
        return readers.whileLocked(inUse -> {
            if (!inUse.isEmpty()) {
                return new long[] {0, 0, unknown.size()};
            }
            long bytes = 0;
            for (String key : unknown) {
                bytes += objects.size(key);
                objects.delete(key);
            }
            return new long[] {unknown.size(), bytes, 0};
        });
    }
}
