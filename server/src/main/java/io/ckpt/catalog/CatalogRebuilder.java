package io.ckpt.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.manifest.CheckpointHeader;
import io.ckpt.manifest.ManifestException;
import io.ckpt.manifest.ManifestReader;
import io.ckpt.protocol.PartInfo;
import io.ckpt.store.Datastore;
import io.ckpt.store.Journal;
import io.ckpt.store.PackScanner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * Recreates the catalog from what the datastore holds: every pack's records give the chunks
 * table, every manifest a complete checkpoint with its parts and chunk lists, and the journal the
 * health marks, protection and ownership set after the manifests were written.
 *
 * <p>A checkpoint enters the new catalog only when its manifest reads cleanly and every chunk it
 * names lies in a record that passed its CRC: a checkpoint that cannot restore must not look
 * complete. Such a checkpoint is reported and its manifest moved to manifests/left-out/, so that
 * a second rebuild after the damage is repaired (a pack copied back from a backup) takes it in.
 *
 * <p>Invariant: <em>a manifest becomes a complete checkpoint only if the upload that wrote it
 * committed</em>. A commit renames its manifest into manifests/ and then runs the catalog
 * transaction that marks the checkpoint complete (and may refuse it: FENCED); a kill -9 between
 * the two, or before a refused commit has removed its manifest, leaves a manifest of an upload
 * that never completed. The commit transaction journals a {@code commit} event before it
 * commits ({@link Journal#commit}), and every server start journals {@code commits_journaled}
 * with an id above every checkpoint it knows of ({@link CatalogJournal#markCommitsJournaled}): a manifest with an
 * id at or above the lowest such mark is taken in only when a {@code commit} event names it, and
 * is otherwise moved to manifests/uncommitted/ (kept, never read again by a rebuild). Ids below
 * that mark were given before commits were journaled, or before a start whose recovery removed
 * every manifest of an upload that had not completed; they are taken in as before.
 *
 * <p>Runs offline, with the datastore locked by the caller and the new catalog empty.
 */
public final class CatalogRebuilder {
    private static final Pattern PACK_NAME = Pattern.compile("([0-9a-f]{16})\\.pack");
    static final Pattern MANIFEST_NAME = Pattern.compile("([0-9a-f]{16})\\.manifest");
    private static final int BATCH = 4096;
    /** Where manifests of checkpoints left out of a rebuilt catalog are kept, under manifests/. */
    public static final String LEFT_OUT = "left-out";
    /** Where manifests of uploads that never committed are kept, under manifests/. */
    public static final String UNCOMMITTED = "uncommitted";

    private final Datastore ds;
    private final Catalog catalog;
    private final Consumer<String> progress;

    /** What a rebuild found and did. */
    public static final class Report {
        public int packs;
        public int packsSealedNow;
        public final List<String> damagedPacks = new ArrayList<>();
        public long chunks;
        public long damagedRecords;
        public int checkpoints;
        public final List<String> skippedCheckpoints = new ArrayList<>();
        /** Manifests of uploads that never committed: set aside, not damage. */
        public final List<String> uncommittedCheckpoints = new ArrayList<>();
        /** Manifests of checkpoints a cut-off prune had removed (journaled): deleted now. */
        public int prunedManifests;
        public int journalEvents;
        public int journalEventsForRemovedCheckpoints;
        public int journalDamagedLines;
        public long nextCheckpointIdAbove;

        public boolean clean() {
            return damagedPacks.isEmpty() && damagedRecords == 0 && skippedCheckpoints.isEmpty() && journalDamagedLines == 0;
        }
    }

    public CatalogRebuilder(Datastore ds, Catalog catalog, Consumer<String> progress) {
        this.ds = ds;
        this.catalog = catalog;
        this.progress = progress;
    }

    public Report run() throws IOException {
        Report report = new Report();
        scanPacks(report);
        Journal.Contents journal = Journal.read(ds.journalPath());
        readManifests(report, CatalogJournal.Commits.of(journal));
        replayJournal(report, journal);
        return report;
    }

    // --- packs ------------------------------------------------------------------------------

    private void scanPacks(Report report) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(ds.root().resolve("packs"))) {
            files = walk.filter(p -> PACK_NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
        progress.accept("scanning " + files.size() + " pack(s)");
        for (Path file : files) {
            Matcher m = PACK_NAME.matcher(file.getFileName().toString());
            m.matches();
            long packId = Long.parseUnsignedLong(m.group(1), 16);
            if (!file.equals(ds.packPath(packId))) {
                report.damagedPacks.add(file + ": not where pack " + packId + " belongs (" + ds.packPath(packId) + "); left alone");
                continue;
            }
            scanPack(packId, file, report);
        }
    }

    private void scanPack(long packId, Path file, Report report) throws IOException {
        List<Object[]> rows = new ArrayList<>();
        PackScanner.Scan scan;
        try {
            scan = PackScanner.scan(file, packId, (header, offset, codec, raw, stored) ->
                    rows.add(new Object[] {Arrays.copyOfRange(header, 1, 33), offset, raw, stored, codec}), true);
        } catch (io.ckpt.store.StoreException.Corrupt e) {
            report.damagedPacks.add(e.getMessage() + "; its chunks are lost to the catalog");
            return;
        }
        long size = scan.dataEnd();
        if (!scan.sealed()) {
            // Open when the server stopped: cut after the last whole, clean record, as start-up recovery does.
            size = scan.validLength();
            PackScanner.truncateAndSeal(file, size, scan.records());
            report.packsSealedNow++;
        }
        if (scan.damaged() > 0) {
            report.damagedRecords += scan.damaged();
            report.damagedPacks.add(file + ": " + scan.damaged() + " record(s) fail their CRC; the chunks in them are lost");
        }
        long packSize = size;
        long now = Files.getLastModifiedTime(file).toMillis();
        catalog.write(h -> {
            h.execute("INSERT INTO packs (id, state, size, created_at, sealed_at) VALUES (?, 'sealed', ?, ?, ?)",
                    packId, packSize, now, now);
            for (int from = 0; from < rows.size(); from += BATCH) {
                PreparedBatch b = h.prepareBatch("INSERT OR IGNORE INTO chunks (digest, pack_id, offset, raw_length,"
                        + " stored_length, codec) VALUES (?, ?, ?, ?, ?, ?)");
                for (Object[] r : rows.subList(from, Math.min(rows.size(), from + BATCH))) {
                    b.add(r[0], packId, r[1], r[2], r[3], r[4]);
                }
                b.execute();
            }
            return null;
        });
        report.packs++;
        report.chunks += rows.size();
    }

    // --- manifests --------------------------------------------------------------------------

    private void readManifests(Report report, CatalogJournal.Commits commits) throws IOException {
        Path dir = ds.root().resolve("manifests");
        Path leftOut = dir.resolve(LEFT_OUT);
        List<Path> files = new ArrayList<>();
        for (Path d : new Path[] {dir, leftOut}) {
            if (Files.isDirectory(d)) {
                try (Stream<Path> list = Files.list(d)) {
                    list.filter(p -> MANIFEST_NAME.matcher(p.getFileName().toString()).matches()).forEach(files::add);
                }
            }
        }
        files.sort(java.util.Comparator.comparing(p -> p.getFileName().toString()));
        progress.accept("reading " + files.size() + " manifest(s)");
        for (Path file : files) {
            Matcher m = MANIFEST_NAME.matcher(file.getFileName().toString());
            m.matches();
            long id = Long.parseUnsignedLong(m.group(1), 16);
            report.nextCheckpointIdAbove = Math.max(report.nextCheckpointIdAbove, id);
            if (commits.removed().contains(id)) {
                // Pruned: its rows were deleted and journaled, the unlink was cut off. Finish the prune.
                Files.delete(file);
                report.prunedManifests++;
                continue;
            }
            if (!commits.committed(id)) {
                // Renamed into place by a commit that then did not complete (kill -9, FENCED, a failed
                // transaction): never acknowledged, never listed. Kept aside, not deleted, in case the journal
                // line naming its commit was lost to damage (then the report says so too).
                Path aside = dir.resolve(UNCOMMITTED).resolve(file.getFileName());
                Files.createDirectories(aside.getParent());
                io.ckpt.store.Datastore.moveDurably(file, aside);
                report.uncommittedCheckpoints.add("checkpoint " + id + ": its upload never committed (no commit event in"
                        + " the journal for an id at or above " + commits.journaledFrom() + "); not in the new catalog,"
                        + " its manifest kept at " + aside);
                continue;
            }
            try {
                catalog.write(h -> {
                    addCheckpoint(h, id, file);
                    return null;
                });
                report.checkpoints++;
                if (!file.getParent().equals(dir)) { // taken in after a repair: back where the server expects it
                    io.ckpt.store.Datastore.moveDurably(file, dir.resolve(file.getFileName()));
                }
            } catch (ManifestException | Skip e) {
                Path aside = leftOut.resolve(file.getFileName());
                if (!file.equals(aside)) {
                    // Out of manifests/, where start-up recovery removes manifests the catalog has no row for.
                    Files.createDirectories(leftOut);
                    io.ckpt.store.Datastore.moveDurably(file, aside);
                }
                report.skippedCheckpoints.add("checkpoint " + id + ": " + e.getMessage() + "; not in the new catalog,"
                        + " its manifest kept at " + aside);
            }
        }
    }

    /** A checkpoint left out of the new catalog, and why. */
    private static final class Skip extends IOException {
        Skip(String message) {
            super(message);
        }
    }

    private void addCheckpoint(Handle h, long id, Path file) throws IOException {
        ManifestVisitor v = new ManifestVisitor(h, id, file);
        try (InputStream in = Files.newInputStream(file)) {
            ManifestReader.read(in, file.toString(), v);
        }
        int missing = h.createQuery("""
                SELECT COUNT(*) FROM part_chunks pc JOIN parts p ON p.id = pc.part_id
                LEFT JOIN chunks c ON c.digest = pc.digest WHERE p.checkpoint_id = ? AND c.digest IS NULL""")
                .bind(0, id).mapTo(Integer.class).one();
        if (missing > 0) {
            throw new Skip("WPAR " + v.header.wpar() + ": " + missing + " of its chunks lie in no intact pack record");
        }
        Map<String, String> a = v.attributes;
        long fileTime = Files.getLastModifiedTime(file).toMillis();
        long created = number(a, "created_at", fileTime);
        String health = a.getOrDefault("health", "unknown");
        h.createUpdate("""
                UPDATE checkpoints SET state = 'complete', health = :health, health_reason = :reason, health_at = :created,
                  host = :host, upload_key = :key, created_at = :created, completed_at = :completed,
                  logical_bytes = :logical, stored_bytes = :stored, chunk_count = :chunks, new_chunk_count = :newChunks,
                  part_count = :parts, tenant = :tenant WHERE id = :id""")
                .bind("health", Set.of("good", "bad", "unknown").contains(health) ? health : "unknown")
                .bind("reason", a.getOrDefault("health_reason", ""))
                .bind("host", a.getOrDefault("host", ""))
                .bind("key", a.get("upload_key"))
                .bind("created", created)
                .bind("completed", number(a, "completed_at", fileTime))
                .bind("logical", number(a, "logical_bytes", v.logical))
                .bind("stored", number(a, "stored_bytes", 0))
                .bind("chunks", number(a, "chunk_count", v.chunks))
                .bind("newChunks", number(a, "new_chunk_count", 0))
                .bind("parts", v.parts)
                .bind("tenant", a.getOrDefault("tenant", "default"))
                .bind("id", id)
                .execute();
    }

    private static long number(Map<String, String> a, String key, long otherwise) {
        try {
            return a.containsKey(key) ? Long.parseLong(a.get(key)) : otherwise;
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    /** Inserts what a manifest says as it is read: one part at a time, chunk lists in batches. */
    private static final class ManifestVisitor implements ManifestReader.Visitor {
        private final Handle h;
        private final long id;
        private final Path file;
        private CheckpointHeader header;
        private Map<String, String> attributes = Map.of();
        private final List<Integer> seqs = new ArrayList<>();
        private final List<byte[]> digests = new ArrayList<>();
        private long partId;
        private int partChunks;
        private int parts;
        private long logical;
        private long chunks;

        ManifestVisitor(Handle h, long id, Path file) {
            this.h = h;
            this.id = id;
            this.file = file;
        }

        @Override
        public void header(CheckpointHeader header) throws IOException {
            if (header.id() != id) {
                throw new ManifestException(file + ": says it is checkpoint " + header.id() + ", but is named for " + id);
            }
            this.header = header;
            long now = System.currentTimeMillis();
            h.attach(WparDao.class).ensure(header.wpar(), now);
            h.execute("INSERT INTO checkpoints (id, wpar, taken_at, kind, state, created_at) VALUES (?, ?, ?, ?, 'uploading', ?)",
                    id, header.wpar(), header.takenAtMillis(), header.kind(), now);
            if (!header.labels().isEmpty()) {
                h.attach(LabelDao.class).add(id, header.labels());
            }
        }

        @Override
        public void beginPart(PartInfo part) {
            partId = h.attach(PartDao.class).create(id, parts, part.name(), part.type().code(), part.mode(),
                    part.mtimeMillis(), part.linkTarget());
            partChunks = 0;
        }

        @Override
        public void chunk(byte[] digest, int rawLength) {
            seqs.add(partChunks++);
            digests.add(digest.clone());
            if (seqs.size() == BATCH) {
                flush();
            }
        }

        private void flush() {
            if (!seqs.isEmpty()) {
                h.attach(PartChunkDao.class).add(partId, seqs, digests);
                seqs.clear();
                digests.clear();
            }
        }

        @Override
        public void endPart(long length, byte[] sha256, int chunkCount) {
            flush();
            h.attach(PartDao.class).finish(partId, length, sha256, chunkCount);
            parts++;
            logical += length;
            chunks += chunkCount;
        }

        @Override
        public void attributes(Map<String, String> a) {
            attributes = new TreeMap<>(a);
        }
    }

    // --- journal ----------------------------------------------------------------------------

    private void replayJournal(Report report, Journal.Contents journal) throws IOException {
        report.journalDamagedLines = journal.damagedLines();
        progress.accept("replaying " + journal.events().size() + " journal event(s)");
        Set<Long> present = new HashSet<>(catalog.read(h ->
                h.createQuery("SELECT id FROM checkpoints WHERE state = 'complete'").mapTo(Long.class).list()));
        catalog.write(h -> {
            for (JsonNode e : journal.events()) {
                report.journalEvents++;
                String op = e.path("op").asText();
                long id = e.path("id").asLong(-1);
                if (id >= 0) {
                    report.nextCheckpointIdAbove = Math.max(report.nextCheckpointIdAbove, id);
                }
                switch (op) {
                    case "health", "protect" -> {
                        if (!present.contains(id)) {
                            report.journalEventsForRemovedCheckpoints++;
                        } else if (op.equals("health")) {
                            h.attach(CheckpointDao.class).setHealth(id, e.path("health").asText("unknown"),
                                    e.path("reason").asText(""), e.path("at").asLong());
                        } else {
                            h.attach(CheckpointDao.class).setProtected(id, e.path("protected").asBoolean());
                        }
                    }
                    case "owner" -> {
                        String wpar = e.path("wpar").asText();
                        h.attach(WparDao.class).ensure(wpar, e.path("at").asLong());
                        h.execute("UPDATE wpars SET owner_host = ?, epoch = ? WHERE name = ?",
                                e.path("host").asText(), e.path("epoch").asLong(), wpar);
                    }
                    case "ids_above", "commit", Journal.COMMITS_JOURNALED, Journal.REMOVED -> { } // read before
                    default -> report.journalDamagedLines++; // written by a newer ckpt: not understood
                }
            }
            // New checkpoints must not take the id of one the journal or a left-out manifest names.
            long above = report.nextCheckpointIdAbove;
            if (h.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'checkpoints'", above) == 0) {
                h.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('checkpoints', ?)", above);
            }
            return null;
        });
    }
}
