package io.ckpt.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CatalogRebuilder;
import io.ckpt.store.Datastore;
import io.ckpt.store.DatastoreLock;
import io.ckpt.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ckpt server rebuild-catalog}: recreates the catalog from packs, manifests and journal. */
@Command(
        name = "rebuild-catalog",
        mixinStandardHelpOptions = true,
        version = "ckpt 0.1.0",
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Recreates a lost or damaged catalog from the datastore alone: the chunks from the records of every pack, each complete checkpoint from its manifest, and the health marks, protection and WPAR ownership set later from the datastore's journal (journal/catalog.journal).",
            "",
            "Runs with the server stopped (it takes the datastore's lock). An existing catalog is never deleted: it is moved aside to CATALOG.before-rebuild-<time> with its -wal and -shm files.",
            "",
            "A checkpoint whose manifest is damaged, or that names a chunk no intact pack record holds, is left out and reported: a checkpoint that cannot restore must not look complete. Its manifest is moved to manifests/left-out/, where a later rebuild, after the damage is repaired, finds it again. A pack that was open when the server stopped is cut at its last whole record and sealed, as at a normal start."
        },
        footer = {
            "",
            "Exit status: 0 everything rebuilt, 5 rebuilt but damage found (the report names it), 1 error (nothing changed"
                    + " but possibly the moved-aside catalog, which the message names), 2 bad usage.",
            "",
            "Examples:",
            "  ckpt server rebuild-catalog --datastore /srv/ckpt",
            "  ckpt server rebuild-catalog --datastore /nfs/ckpt --catalog /var/lib/ckpt/catalog.db --json"
        })
final class RebuildCatalogCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--datastore", paramLabel = "DIR", required = true,
            description = "The datastore whose catalog to rebuild.")
    Path datastore;

    @Option(names = "--catalog", paramLabel = "PATH",
            description = "Where the catalog goes (default: DATASTORE/catalog.db); give the server's --catalog if it has one.")
    Path catalog;

    @Option(names = "--json", description = "Print the report as one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        try {
            return run();
        } catch (StoreException e) {
            System.err.println("ckpt server rebuild-catalog: " + e.getMessage() + NOTHING_WRITTEN);
            return 1;
        } catch (IOException | RuntimeException e) {
            System.err.println("ckpt server rebuild-catalog: " + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + NOTHING_WRITTEN);
            return 1;
        }
    }

    private int run() throws IOException {
        Path root = datastore.toAbsolutePath().normalize();
        if (!Files.exists(root.resolve(Datastore.MARKER))) {
            System.err.println("ckpt server rebuild-catalog: " + root + " is not a ckpt datastore (no "
                    + Datastore.MARKER + " file)");
            return 1;
        }
        Datastore ds = Datastore.openOrCreate(root);
        try (DatastoreLock lock = ds.lock()) {
            Path file = (catalog != null ? catalog : root.resolve("catalog.db")).toAbsolutePath();
            String aside = moveAside(file);
            long start = System.nanoTime();
            CatalogRebuilder.Report r;
            // Built under another name and renamed into place only when whole: a rebuild cut off (an error, a kill,
            // a full disk) leaves no catalog, so the server refuses to start ("catalog is new, but the datastore holds
            // packs") instead of running on one that lacks checkpoints, ownership and health marks, whose chunks gc
            // would then take for garbage. Every step of a rebuild can be run again.
            Path building = file.resolveSibling(file.getFileName() + BUILDING);
            for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
                Files.deleteIfExists(building.resolveSibling(building.getFileName() + suffix));
            }
            try (Catalog c = Catalog.open(building, ds.id())) {
                r = new CatalogRebuilder(ds, c, m -> {
                    if (!json) {
                        System.err.println("ckpt server rebuild-catalog: " + m);
                    }
                }).run();
                // Everything into the database file itself, so that the file alone is the catalog when renamed.
                c.jdbi().useHandle(h -> h.execute("PRAGMA wal_checkpoint(TRUNCATE)"));
            }
            Path wal = building.resolveSibling(building.getFileName() + "-wal");
            if (Files.exists(wal) && Files.size(wal) > 0) {
                throw new StoreException("rebuilt catalog " + building + " still has a write-ahead log after closing;"
                        + " not moved into place (run the rebuild again)");
            }
            Files.deleteIfExists(wal);
            Files.deleteIfExists(building.resolveSibling(building.getFileName() + "-shm"));
            try (var ch = java.nio.channels.FileChannel.open(building, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Datastore.moveDurably(building, file);
            long millis = (System.nanoTime() - start) / 1_000_000;
            print(file, aside, r, millis);
            return r.clean() ? 0 : 5;
        }
    }

    /** The suffix of the catalog a rebuild is writing, until it is whole. */
    static final String BUILDING = ".rebuilding";
    private static final String NOTHING_WRITTEN = "; no new catalog was put in place (the server does"
            + " not start on a datastore with packs and no catalog): repair the cause and run rebuild-catalog again";

    /** Moves an existing catalog and its WAL files aside; returns the new name, or null when there was none. */
    private static String moveAside(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(Instant.now());
        Path target = file.resolveSibling(file.getFileName() + ".before-rebuild-" + stamp);
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Path from = file.resolveSibling(file.getFileName() + suffix);
            if (Files.exists(from)) {
                Files.move(from, target.resolveSibling(target.getFileName() + suffix));
            }
        }
        Datastore.fsyncDirectory(file.getParent());
        return target.toString();
    }

    private void print(Path file, String aside, CatalogRebuilder.Report r, long millis) throws IOException {
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            o.put("catalog", file.toString());
            o.put("old_catalog", aside);
            o.put("ok", r.clean());
            o.put("packs", r.packs);
            o.put("packs_sealed_now", r.packsSealedNow);
            o.put("chunks", r.chunks);
            o.put("damaged_records", r.damagedRecords);
            r.damagedPacks.forEach(o.putArray("damaged_packs")::add);
            o.put("checkpoints", r.checkpoints);
            var skipped = o.putArray("skipped_checkpoints");
            r.skippedCheckpoints.forEach(skipped::add);
            var uncommitted = o.putArray("uncommitted_checkpoints");
            r.uncommittedCheckpoints.forEach(uncommitted::add);
            o.put("pruned_manifests_deleted", r.prunedManifests);
            o.put("journal_events", r.journalEvents);
            o.put("journal_events_for_removed_checkpoints", r.journalEventsForRemovedCheckpoints);
            o.put("journal_damaged_lines", r.journalDamagedLines);
            o.put("duration_ms", millis);
            System.out.println(JSON.writeValueAsString(o));
            return;
        }
        if (aside != null) {
            System.out.println("old catalog moved to " + aside);
        }
        System.out.printf("rebuilt %s in %.1f s: %d checkpoint(s), %d chunk(s) in %d pack(s), %d journal event(s) replayed%n",
                file, millis / 1000.0, r.checkpoints, r.chunks, r.packs, r.journalEvents - r.journalEventsForRemovedCheckpoints);
        if (r.packsSealedNow > 0) {
            System.out.println(r.packsSealedNow + " pack(s) open at the last stop were cut at their last whole record and sealed");
        }
        for (String p : r.damagedPacks) {
            System.out.println("DAMAGED: " + p);
        }
        for (String c : r.skippedCheckpoints) {
            System.out.println("LEFT OUT: " + c);
        }
        if (r.prunedManifests > 0) {
            System.out.println(r.prunedManifests + " manifest(s) of checkpoints a cut-off prune had removed, deleted now");
        }
        for (String c : r.uncommittedCheckpoints) {
            System.out.println("NOT COMMITTED: " + c);
        }
        if (r.journalDamagedLines > 0) {
            System.out.println("journal: " + r.journalDamagedLines + " line(s) damaged or not understood, skipped");
        }
        if (!r.clean()) {
            System.out.println("damage found: run 'ckpt verify --full' once the server is up");
        }
    }
}
