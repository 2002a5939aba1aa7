package io.ckpt.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.ChunkRef;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.chunk.ChunkDigest;
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
 */
public final class Verifier {
    private static final Logger log = LoggerFactory.getLogger(Verifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 4096;

    private final Catalog catalog;
    private final Datastore ds;
    private final io.ckpt.restore.ReadersInUse readers;

    public Verifier(Catalog catalog, Datastore ds, io.ckpt.restore.ReadersInUse readers) {
        this.catalog = catalog;
        this.ds = ds;
        this.readers = readers;
    }

    /** Verifies and returns the report (docs/OPERATIONS.md, "Verify"); {@code wparGlob} only filters the report. */
    public ObjectNode verify(String wparGlob, boolean full) throws IOException {
        // Registered as a reader, so that GC keeps the pack files this pass may still open.
        readers.acquire(io.ckpt.restore.ReadersInUse.WHOLE_DATASTORE);
        try {
            return verifyRegistered(wparGlob, full);
        } finally {
            readers.release(io.ckpt.restore.ReadersInUse.WHOLE_DATASTORE);
        }
    }

    private ObjectNode verifyRegistered(String wparGlob, boolean full) throws IOException {
        long start = System.nanoTime();
        Map<String, String> damagedChunks = new LinkedHashMap<>(); // digest hex -> what is wrong
        Set<Long> packs = new HashSet<>();
        long chunks = 0;
        long bytes = 0;
        byte[] scratch = new byte[PackFormat.MAX_RAW_LENGTH];
        try (ChunkReader reader = new ChunkReader(ds)) {
            long pack = 0;
            long offset = -1;
            while (true) {
                long p0 = pack;
                long o0 = offset;
                List<ChunkRef> page = catalog.read(h -> h.attach(ChunkDao.class).pageInPackOrder(p0, o0, PAGE));
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
                    pack = c.packId();
                    offset = c.offset();
                }
            }
        }
        // Which checkpoints and parts the damage breaks, and references to chunks that do not exist.
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
        Pattern glob = io.ckpt.ingest.Names.wparGlob(wparGlob);
        ObjectNode out = JSON.createObjectNode();
        out.put("full", full);
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
        log.info("verify{}: {} chunks in {} packs, {} damaged, {} checkpoint(s) affected, {} ms", full ? " --full" : "",
                chunks, packs.size(), damagedChunks.size(), cps.size(), out.get("duration_ms").asLong());
        return out;
    }
}
