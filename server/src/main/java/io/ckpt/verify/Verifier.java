package io.ckpt.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.ChunkRef;
import io.ckpt.catalog.MetaDao;
import io.ckpt.catalog.Names;
import io.ckpt.catalog.PackDao;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.progress.ProgressListener;
import io.ckpt.restore.ReadersInUse;
import io.ckpt.store.ChunkReader;
import io.ckpt.store.Datastore;
import io.ckpt.store.PackFormat;
import io.ckpt.store.StoreException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ckpt verify}: reads every chunk record in pack order (so the disk reads sequentially),
 * checks it, and then names the complete checkpoints and parts that use a damaged or missing
 * chunk. Each distinct chunk is read once, however many checkpoints share it. The quick pass
 * checks pack headers and each record's CRC32C, digest and sizes; {@code full} also decompresses
 * and proves every SHA-256, as a restore would. Memory: one page of locations and the damage found.
 *
 * <p>A scheduled run may read only a share of the packs ({@link #verifyShare}): the next ones after
 * the last pack the previous share run read, kept in the catalog's {@code meta} table as
 * {@value #CURSOR} so that the rotation survives restarts ({@link PackShare} says how many).
 */
public final class Verifier {
    private static final Logger log = LoggerFactory.getLogger(Verifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 4096;
    /** The {@code meta} key of the last pack id a share run read. */
    static final String CURSOR = "verify_cursor";

    private final Catalog catalog;
    private final Datastore ds;
    private final ReadersInUse readers;

    public Verifier(Catalog catalog, Datastore ds, ReadersInUse readers) {
        this.catalog = catalog;
        this.ds = ds;
        this.readers = readers;
    }

    /** Pack ids {@code after} (exclusive) to {@code through} (inclusive), whether or not a pack of each id exists. */
    private record PackRange(long after, long through) {}

    /** The packs one run reads: the ranges in reading order, and the pack the next share run starts after. */
    private record Selection(List<PackRange> ranges, long total, long selected, long nextCursor) {
        /** "pack ids 11 to 20 and 1 to 2", for the log. */
        String describe() {
            return ranges.isEmpty() ? "no packs"
                    : "pack ids " + String.join(" and ", ranges.stream().map(r -> (r.after() + 1) + " to " + r.through()).toList());
        }
    }

    /** Verifies every pack and returns the report (docs/OPERATIONS.md, "Verify"); {@code wparGlob} only filters the report. */
    public ObjectNode verify(String wparGlob, boolean full) throws IOException {
        return verify(wparGlob, full, ProgressListener.NONE);
    }

    /** Like {@link #verify(String, boolean)}, telling {@code progress} each chunk checked (of how many, in which pack). */
    public ObjectNode verify(String wparGlob, boolean full, ProgressListener progress) throws IOException {
        // Registered as a reader, so that GC keeps the pack files this pass may still open.
        readers.acquire(ReadersInUse.WHOLE_DATASTORE);
        try {
            long total = catalog.read(h -> h.attach(PackDao.class).count());
            return check(wparGlob, full, 100, new Selection(List.of(new PackRange(Long.MIN_VALUE, Long.MAX_VALUE)), total, total, 0),
                    progress);
        } finally {
            readers.release(ReadersInUse.WHOLE_DATASTORE);
        }
    }

    /**
     * Verifies {@code sharePercent} of the packs, the next ones after the last pack the previous
     * share run read, wrapping around to the lowest id; then remembers where this run stopped.
     * References from chunk lists to missing chunks are checked whole, as they cost no pack reads.
     * At 100% this is {@link #verify} and leaves the cursor alone.
     */
    public ObjectNode verifyShare(int sharePercent, boolean full) throws IOException {
        if (sharePercent == 100) {
            return verify(null, full);
        }
        readers.acquire(ReadersInUse.WHOLE_DATASTORE);
        try {
            long cursor = cursor();
            // One read transaction: one snapshot of the packs table for the counts and the ids.
            Selection sel = catalog.read(h -> h.inTransaction(tx -> select(tx.attach(PackDao.class), cursor, sharePercent)));
            ObjectNode out = check(null, full, sharePercent, sel, ProgressListener.NONE);
            if (sel.nextCursor() != cursor) {
                catalog.write(h -> {
                    h.attach(MetaDao.class).put(CURSOR, Long.toString(sel.nextCursor()));
                    return null;
                });
            }
            return out;
        } finally {
            readers.release(ReadersInUse.WHOLE_DATASTORE);
        }
    }

    private long cursor() throws IOException {
        String v = catalog.read(h -> h.attach(MetaDao.class).get(CURSOR)).orElse("0");
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            log.warn("catalog meta {} = '{}' is not a pack id; verify starts again from the first pack", CURSOR, v);
            return 0;
        }
    }

    private static Selection select(PackDao packs, long cursor, int percent) {
        long total = packs.count();
        PackShare plan = PackShare.plan(total, packs.countAfter(cursor), percent);
        List<PackRange> ranges = new ArrayList<>(2);
        long next = cursor;
        if (plan.afterCursor() > 0) {
            next = packs.nthAfter(cursor, plan.afterCursor() - 1).orElseThrow();
            ranges.add(new PackRange(cursor, next));
        }
        if (plan.fromStart() > 0) {
            next = packs.nthAfter(0, plan.fromStart() - 1).orElseThrow();
            ranges.add(new PackRange(0, next));
        }
        return new Selection(List.copyOf(ranges), total, plan.packs(), next);
    }

    private ObjectNode check(String wparGlob, boolean full, int sharePercent, Selection sel, ProgressListener progress)
            throws IOException {
        long start = System.nanoTime();
        // Chunks written after this count are checked too when they land in the range: the total is a guide.
        long chunksTotal = sharePercent == 100 ? catalog.read(h -> h.attach(ChunkDao.class).count()) : -1;
        String phase = full ? "checking chunks with SHA-256" : "checking chunks";
        String inPack = null;
        Map<String, String> damagedChunks = new LinkedHashMap<>(); // digest hex -> what is wrong
        Set<Long> packs = new HashSet<>();
        long chunks = 0;
        long bytes = 0;
        byte[] scratch = new byte[PackFormat.MAX_RAW_LENGTH];
        try (ChunkReader reader = new ChunkReader(ds)) {
            for (PackRange range : sel.ranges()) {
                long pack = range.after();
                long offset = Long.MAX_VALUE; // past every record of pack 'after'
                while (true) {
                    long p0 = pack;
                    long o0 = offset;
                    List<ChunkRef> page = catalog.read(h -> h.attach(ChunkDao.class).pageInPackOrder(p0, o0, range.through(), PAGE));
                    if (page.isEmpty()) {
                        break;
                    }
                    for (ChunkRef c : page) {
                        try {
                            if (full) {
                                reader.read(c.digest(), 0, c.packId(), c.offset(), c.storedLength(), c.rawLength(), scratch, 0);
                            } else {
                                reader.check(c.digest(), c.packId(), c.offset(), c.storedLength(), c.rawLength());
                            }
                        } catch (StoreException e) {
                            damagedChunks.put(ChunkDigest.of(c.digest()).hex(), e.getMessage());
                        }
                        packs.add(c.packId());
                        chunks++;
                        bytes += PackFormat.RECORD_HEADER_LENGTH + c.storedLength();
                        if (inPack == null || c.packId() != pack) {
                            inPack = "pack " + c.packId();
                        }
                        pack = c.packId();
                        offset = c.offset();
                        progress.report(phase, chunks, chunksTotal < 0 ? -1 : Math.max(chunksTotal, chunks), inPack);
                    }
                }
            }
        }
        // Which checkpoints and parts the damage breaks, and references to chunks that do not exist.
        progress.report("naming damaged checkpoints", damagedChunks.size(), damagedChunks.size(), null);
        Map<Long, Map<String, List<String>>> broken = new TreeMap<>();
        List<String> hexes = new ArrayList<>(damagedChunks.keySet());
        for (int i = 0; i < hexes.size(); i += 500) {
            List<byte[]> batch = hexes.subList(i, Math.min(hexes.size(), i + 500)).stream()
                    .map(x -> ChunkDigest.parse(x).toBytes()).toList();
            for (PartChunkDao.PartUse u : catalog.read(h -> h.attach(PartChunkDao.class).partsUsing(batch))) {
                broken.computeIfAbsent(u.checkpointId(), k -> new TreeMap<>()).computeIfAbsent(u.partName(), k -> new ArrayList<>());
            }
        }
        for (PartChunkDao.PartUse u : catalog.read(h -> h.attach(PartChunkDao.class).partsWithMissingChunks())) {
            broken.computeIfAbsent(u.checkpointId(), k -> new TreeMap<>())
                    .computeIfAbsent(u.partName(), k -> new ArrayList<>()).add("a chunk it names is missing from the catalog");
        }
        Pattern glob = Names.wparGlob(wparGlob);
        ObjectNode out = JSON.createObjectNode();
        out.put("full", full);
        out.put("share_percent", sharePercent);
        out.put("packs_total", sel.total());
        out.put("packs_selected", sel.selected());
        if (sharePercent < 100) {
            ArrayNode ids = out.putArray("pack_ids");
            sel.ranges().forEach(r -> ids.addObject().put("from", r.after() + 1).put("to", r.through()));
        }
        out.put("chunks_checked", chunks);
        out.put("bytes_checked", bytes);
        out.put("packs_checked", packs.size());
        out.put("damaged_chunks", damagedChunks.size());
        ArrayNode problems = out.putArray("chunk_problems");
        damagedChunks.forEach((d, why) -> problems.addObject().put("digest", d).put("problem", why));
        ArrayNode cps = out.putArray("damaged_checkpoints");
        for (var e : broken.entrySet()) {
            CheckpointRow row = catalog.read(h -> h.attach(CheckpointDao.class).find(e.getKey())).orElse(null);
            if (row == null || !row.isComplete() || !glob.matcher(row.wpar()).matches()) {
                continue;
            }
            ObjectNode c = cps.addObject().put("id", row.id()).put("wpar", row.wpar())
                    .put("taken_at", Instant.ofEpochMilli(row.takenAt()).toString());
            ArrayNode parts = c.putArray("parts");
            e.getValue().forEach((name, why) -> {
                ObjectNode pj = parts.addObject().put("name", name);
                why.forEach(pj.putArray("problems")::add);
            });
        }
        out.put("ok", damagedChunks.isEmpty() && cps.isEmpty());
        out.put("duration_ms", (System.nanoTime() - start) / 1_000_000);
        log.info("verify{}{}: {} chunks in {} packs, {} damaged, {} checkpoint(s) affected, {} ms", full ? " --full" : "",
                sharePercent < 100 ? " of " + sharePercent + "% of the packs (" + sel.describe() + ")" : "",
                chunks, packs.size(), damagedChunks.size(), cps.size(), out.get("duration_ms").asLong());
        return out;
    }
}
