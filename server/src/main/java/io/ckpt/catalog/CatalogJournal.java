package io.ckpt.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.store.Datastore;
import io.ckpt.store.Journal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/**
 * What the journal holds for the catalog, and what a rebuild reads back from it: the
 * {@code commits_journaled} mark (from which checkpoint id on every commit is journaled, so a
 * manifest above it without a commit line is an upload that never completed), the snapshot that
 * replaces a journal grown long, and the committed and removed ids a rebuild goes by.
 */
public final class CatalogJournal {
    private CatalogJournal() {}

    /** What the journal says about commits: the ids it names, and from which id on it names every one. */
    record Commits(Set<Long> ids, long journaledFrom, Set<Long> removed) {
        static Commits of(Journal.Contents journal) {
            Set<Long> ids = new HashSet<>();
            Set<Long> removed = new HashSet<>();
            long from = Long.MAX_VALUE; // no mark: a journal from before commits were journaled
            for (JsonNode e : journal.events()) {
                String op = e.path("op").asText();
                if (op.equals("commit") && e.path("id").canConvertToLong()) {
                    ids.add(e.path("id").asLong());
                } else if (op.equals(Journal.COMMITS_JOURNALED) && e.path("from").canConvertToLong()) {
                    from = Math.min(from, e.path("from").asLong());
                } else if (op.equals(Journal.REMOVED)) {
                    e.path("ids").forEach(id -> removed.add(id.asLong()));
                }
            }
            return new Commits(ids, from, removed);
        }

        boolean committed(long id) {
            return id < journaledFrom || ids.contains(id);
        }
    }

    /**
     * Journals, at server start after recovery and before the server listens, that every commit
     * from now on is journaled: from an id above both the highest the catalog gave and the highest
     * manifest on disk (a catalog older than its datastore leaves those for a rebuild). Every
     * manifest below that id is then a committed checkpoint's (recovery has just removed those of
     * uploads that did not complete) or one a rebuild left out or set aside.
     */
    public static void markCommitsJournaled(Datastore ds, Catalog catalog) throws IOException {
        try {
            // Recovery's unlinks of uncommitted uploads' manifests durable first: none may come back below the mark.
            Datastore.fsyncDirectory(ds.root().resolve("manifests"));
            ds.journal().append(commitsJournaledMark(ds, catalog));
        } catch (IOException e) {
            // Not fatal (a server on a full disk must still start, for restores): commits are journaled all the same,
            // and a rebuild then goes by an earlier mark, or takes every manifest in as before marks existed.
            LoggerFactory.getLogger(CatalogRebuilder.class).warn("could not journal that commits are"
                    + " journaled from here on ({}); rebuild-catalog goes by the previous mark", e.getMessage());
        }
    }

    private static ObjectNode commitsJournaledMark(Datastore ds, Catalog catalog)
            throws IOException {
        long highest = catalog.read(h -> h.attach(CheckpointDao.class).highestIdAssigned());
        Path dir = ds.root().resolve("manifests");
        for (Path d : new Path[] {dir, dir.resolve(CatalogRebuilder.LEFT_OUT), dir.resolve(CatalogRebuilder.UNCOMMITTED)}) {
            if (Files.isDirectory(d)) {
                try (Stream<Path> list = Files.list(d)) {
                    for (Path p : (Iterable<Path>) list::iterator) {
                        Matcher m = CatalogRebuilder.MANIFEST_NAME.matcher(p.getFileName().toString());
                        if (m.matches()) {
                            highest = Math.max(highest, Long.parseUnsignedLong(m.group(1), 16));
                        }
                    }
                }
            }
        }
        return Journal.commitsJournaled(highest + 1, System.currentTimeMillis());
    }

    /**
     * The journal's content as a snapshot of {@code catalog}: each complete checkpoint's health and
     * protection, each WPAR's owner, and the highest checkpoint id used. Replaces a journal grown
     * long; replaying it yields what replaying the long one did.
     */
    public static List<ObjectNode> journalSnapshot(Catalog catalog) throws IOException {
        return journalSnapshot(catalog, null);
    }

    /**
     * The snapshot, for a compaction at start (after recovery), with a {@code commits_journaled}
     * mark above every checkpoint and manifest there is: the commit events it replaces named only
     * checkpoints that are complete now (recovery removed the others' manifests).
     */
    public static List<ObjectNode> journalSnapshot(Catalog catalog, Datastore ds)
            throws IOException {
        List<ObjectNode> out = snapshot(catalog);
        if (ds != null) {
            out.add(commitsJournaledMark(ds, catalog));
        }
        return out;
    }

    private static List<ObjectNode> snapshot(Catalog catalog) throws IOException {
        return catalog.read(h -> {
            List<ObjectNode> out = new ArrayList<>();
            long now = System.currentTimeMillis();
            for (CheckpointRow r : h.attach(CheckpointDao.class).listComplete()) {
                long at = h.createQuery("SELECT COALESCE(health_at, created_at) FROM checkpoints WHERE id = ?")
                        .bind(0, r.id()).mapTo(Long.class).one();
                out.add(Journal.health(r.id(), r.health(), r.healthReason() == null ? "" : r.healthReason(), at));
                if (r.isProtected()) {
                    out.add(Journal.protect(r.id(), true, now));
                }
            }
            h.createQuery("SELECT name, owner_host, epoch FROM wpars WHERE owner_host IS NOT NULL")
                    .map((rs, ctx) -> Journal.owner(rs.getString(1), rs.getString(2), rs.getLong(3), now))
                    .forEach(out::add);
            long maxId = h.createQuery("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'checkpoints'")
                    .mapTo(Long.class).one();
            out.add(Journal.idsAbove(maxId, now));
            return out;
        });
    }
}
