package io.ckpt.server;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.ChunkRef;
import io.ckpt.catalog.PackDao;
import io.ckpt.store.Datastore;
import io.ckpt.store.ObjectStore;
import io.ckpt.store.PackScanner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the datastore back in order after an unclean stop (kill -9, power loss), before any
 * client connects:
 * <ol>
 *   <li>uploads that never committed are removed with their parts and manifests;</li>
 *   <li>manifests of checkpoints the catalog deleted are removed: a prune (or the step above)
 *       deletes the rows first and the manifests after, and may have been cut off between;</li>
 *   <li>packs that were open are scanned to their last whole, CRC-clean record (a damaged record
 *       with clean ones after it is skipped, not cut); chunk rows that point past it are
 *       forgotten, the pack is cut there and sealed. Chunk rows that point at a record that fails
 *       its check (or at no record start, or at a record of another digest) are forgotten too: an
 *       upload then stores such a chunk anew instead of deduplicating onto bytes that cannot be
 *       read, and a complete checkpoint that names it is reported by verify as naming a missing
 *       chunk, never silently kept;</li>
 *   <li>what staging a crash cut off (tmp/) is removed.</li>
 * </ol>
 * Complete checkpoints are untouched: their chunks were fsynced before they were marked complete,
 * so they lie inside the valid prefix of their packs.
 */
final class Recovery {
    private static final Logger log = LoggerFactory.getLogger(Recovery.class);

    private Recovery() {}

    static void run(Datastore ds, Catalog catalog) throws IOException {
        ObjectStore objects = ds.objects();
        List<Long> incomplete = catalog.read(h -> h.attach(CheckpointDao.class).incomplete());
        for (long id : incomplete) {
            catalog.write(h -> h.attach(CheckpointDao.class).delete(id));
            objects.delete(Datastore.manifestKey(id));
        }
        if (!incomplete.isEmpty()) {
            log.warn("removed {} upload(s) that never completed: {}", incomplete.size(), incomplete);
        }
        removeManifestsWithoutCheckpoint(ds, catalog);
        List<Long> open = catalog.read(h -> h.attach(PackDao.class).open());
        for (long packId : open) {
            String pack = Datastore.packKey(packId);
            if (!objects.exists(pack)) {
                catalog.write(h -> {
                    h.attach(ChunkDao.class).forgetFrom(packId, 0);
                    h.attach(PackDao.class).delete(packId);
                    return null;
                });
                continue;
            }
            // Lenient: a record that fails in the middle is bit rot, not a torn write; the clean ones after
            // it hold chunks of complete checkpoints and stay. The damaged one's chunk row goes (below), so
            // that no upload deduplicates onto it and verify names the checkpoints that used it.
            Map<Long, ByteBuffer> clean = new HashMap<>(); // record offset -> digest, of the CRC-clean records
            PackScanner.Scan scan = PackScanner.scan(objects, pack, packId, (header, offset, codec, raw, stored) ->
                    clean.put(offset, ByteBuffer.wrap(Arrays.copyOfRange(header, 1, 33))), true);
            int forgotten = catalog.write(h -> {
                ChunkDao chunks = h.attach(ChunkDao.class);
                List<Long> unreadable = new ArrayList<>();
                for (ChunkRef c : chunks.inPack(packId)) {
                    ByteBuffer at = clean.get(c.offset());
                    if (c.offset() < scan.validLength() && (at == null || !at.equals(ByteBuffer.wrap(c.digest())))) {
                        unreadable.add(c.offset());
                    }
                }
                if (!unreadable.isEmpty()) {
                    log.error("pack {}: forgetting {} chunk(s) whose record fails its check, at offsets {}", packId,
                            unreadable.size(), unreadable);
                    chunks.forgetAt(packId, unreadable);
                }
                return unreadable.size() + chunks.forgetFrom(packId, scan.validLength());
            });
            PackScanner.truncateAndSeal(objects, pack, scan.validLength(), scan.records());
            catalog.sealPack(packId, scan.validLength());
            log.info("pack {} was open at the last stop: kept {} records ({} bytes), forgot {} chunk(s) past them or damaged",
                    packId, scan.records(), scan.validLength(), forgotten);
            if (scan.damaged() > 0) {
                log.error("pack {}: {} record(s) fail their CRC; run 'ckpt verify --full' to see which checkpoints"
                        + " they damage", packId, scan.damaged());
            }
        }
        objects.discardUnpublished();
    }

    /**
     * Deletes the manifests whose checkpoint the catalog handed out and has since deleted. Only
     * ids up to the highest the catalog ever assigned: a manifest with a higher id belongs to a
     * checkpoint this catalog never knew (a catalog older than the datastore), and stays for
     * rebuild-catalog.
     */
    private static void removeManifestsWithoutCheckpoint(Datastore ds, Catalog catalog) throws IOException {
        long highest = catalog.read(h -> h.attach(CheckpointDao.class).highestIdAssigned());
        Set<Long> rows = new HashSet<>(catalog.read(h -> h.attach(CheckpointDao.class).ids()));
        List<Long> removed = new ArrayList<>();
        for (String key : ds.objects().list(Datastore.MANIFESTS)) {
            OptionalLong id = Datastore.manifestCheckpointId(key); // none for manifests/left-out/ or uncommitted/
            if (id.isPresent() && id.getAsLong() <= highest && !rows.contains(id.getAsLong())) {
                ds.objects().delete(key);
                removed.add(id.getAsLong());
            }
        }
        if (!removed.isEmpty()) {
            Collections.sort(removed);
            log.warn("removed {} manifest(s) of checkpoints the catalog had deleted (their removal was cut off, "
                    + "as by a kill during prune), ids {} to {}", removed.size(), removed.get(0), removed.get(removed.size() - 1));
        }
    }
}
