package io.ckpt.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.chunk.ChunkDigest;
import io.ckpt.store.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog on a real SQLite file: its schema and migrations, its binding to a datastore, its DAOs. */
final class CatalogTest {
    private static final String DATASTORE = "3f1c0a52-5f1e-4d0b-9a57-2f7c2b8e1d01";
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;
    private Path file;
    private Catalog catalog;

    @BeforeEach
    void open() throws IOException {
        file = dir.resolve("catalog.db");
        catalog = Catalog.open(file, DATASTORE);
    }

    @AfterEach
    void close() {
        catalog.close();
    }

    /** Digest number {@code i}: the SHA-256 of its big-endian bytes. */
    private static byte[] digest(int i) {
        byte[] b = ByteBuffer.allocate(4).putInt(i).array();
        return ChunkDigest.compute(b, 0, 4).toBytes();
    }

    private long checkpoint(String wpar) throws IOException {
        return catalog.write(h -> {
            h.attach(WparDao.class).ensure(wpar, 1);
            return h.attach(CheckpointDao.class).create(wpar, 1_700_000_000_000L, "scheduled", "host1", 2);
        });
    }

    @Test
    void migrationsCreateTheSchemaOnAFreshFile() throws IOException {
        Set<String> tables = catalog.read(h -> Set.copyOf(h.createQuery(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").mapTo(String.class).list()));
        assertEquals(Set.of("schema_version", "meta", "wpars", "checkpoints", "labels", "parts", "part_chunks", "packs", "chunks",
                "credentials", "upload_chunks"),
                tables);
        assertEquals(List.of(1, 2, 3, 4, 5, 6), catalog.read(h -> h.createQuery("SELECT version FROM schema_version").mapTo(Integer.class).list()));
        assertEquals(6, Migrations.SCRIPTS.size());
        assertEquals(6, Migrations.LATEST);
        assertEquals("wal", catalog.read(h -> h.createQuery("PRAGMA journal_mode").mapTo(String.class).one()));
        assertEquals(1, catalog.<Integer>read(h -> h.createQuery("PRAGMA foreign_keys").mapTo(Integer.class).one()));
    }

    @Test
    void reopeningAppliesNothingTwiceAndKeepsTheData() throws IOException {
        long id = checkpoint("web01");
        catalog.close();
        catalog = Catalog.open(file, DATASTORE);
        catalog.close();
        catalog = Catalog.open(file, DATASTORE);
        assertEquals(List.of(1, 2, 3, 4, 5, 6), catalog.read(h -> h.createQuery("SELECT version FROM schema_version").mapTo(Integer.class).list()));
        assertTrue(catalog.read(h -> h.attach(CheckpointDao.class).find(id)).isPresent());
        assertEquals(DATASTORE, catalog.read(h -> h.attach(MetaDao.class).get("datastore_id")).orElseThrow());
    }

    @Test
    void catalogOfAnotherDatastoreIsRefused() throws IOException {
        catalog.close();
        StoreException.Incompatible e = assertThrows(StoreException.Incompatible.class,
                () -> Catalog.open(file, "another-datastore"));
        assertTrue(e.getMessage().contains(DATASTORE), e.getMessage());
        assertTrue(e.getMessage().contains("another-datastore"), e.getMessage());
        catalog = Catalog.open(file, DATASTORE); // still usable by its own datastore
    }

    @Test
    void schemaNewerThanThisBuildIsRefusedAskingForAnUpgrade() throws IOException {
        catalog.write(h -> h.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, 0)",
                Migrations.LATEST + 1));
        catalog.close();
        StoreException.Incompatible e = assertThrows(StoreException.Incompatible.class, () -> Catalog.open(file, DATASTORE));
        assertTrue(e.getMessage().contains("schema version " + (Migrations.LATEST + 1)), e.getMessage());
        assertTrue(e.getMessage().contains("upgrade"), e.getMessage());
        catalog = Catalog.open(dir.resolve("other.db"), DATASTORE);
    }

    @Test
    void readOnlyOpenReadsBesideTheWriterAndRefusesEveryWrite() throws IOException {
        long id = checkpoint("web01");
        try (Catalog ro = Catalog.openReadOnly(file, DATASTORE)) {
            assertTrue(ro.isReadOnly());
            assertTrue(ro.read(h -> h.attach(CheckpointDao.class).find(id)).isPresent(), "sees what the writer committed");
            assertThrows(IllegalStateException.class, () -> ro.write(h -> h.execute("DELETE FROM checkpoints")));
            assertThrows(IllegalStateException.class, ro::createPack);
            IOException sqlite = assertThrows(IOException.class, () -> ro.read(h -> h.execute("DELETE FROM checkpoints")));
            assertTrue(sqlite.getMessage().contains("readonly") || sqlite.getMessage().contains("read-only"),
                    "SQLite itself refuses: " + sqlite.getMessage());
        }
        assertTrue(catalog.read(h -> h.attach(CheckpointDao.class).find(id)).isPresent());
    }

    @Test
    void readOnlyOpenRefusesAMissingCatalogNamingRebuildAndCreatesNothing() {
        Path lost = dir.resolve("lost.db");
        StoreException.Incompatible e = assertThrows(StoreException.Incompatible.class, () -> Catalog.openReadOnly(lost, DATASTORE));
        assertTrue(e.getMessage().contains("rebuild-catalog"), e.getMessage());
        assertFalse(java.nio.file.Files.exists(lost), "no file created");
    }

    @Test
    void readOnlyOpenRefusesAnotherDatastoresCatalogAndAnOlderSchema() throws IOException {
        assertTrue(assertThrows(StoreException.Incompatible.class, () -> Catalog.openReadOnly(file, "another-datastore"))
                .getMessage().contains("another-datastore"));
        catalog.write(h -> h.execute("DELETE FROM schema_version WHERE version = ?", Migrations.LATEST));
        StoreException.Incompatible e = assertThrows(StoreException.Incompatible.class, () -> Catalog.openReadOnly(file, DATASTORE));
        assertTrue(e.getMessage().contains("schema version "
                + Migrations.versionOf(Migrations.SCRIPTS.get(Migrations.SCRIPTS.size() - 2))), e.getMessage());
    }

    @Test
    void existingReturnsOnlyThePresentDigestsOfABatchOfAThousand() throws IOException {
        List<byte[]> all = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            all.add(digest(i));
        }
        List<byte[]> present = new ArrayList<>();
        for (int i = 0; i < 1000; i += 3) {
            present.add(all.get(i));
        }
        int n = present.size();
        catalog.write(h -> {
            h.attach(ChunkDao.class).add(present, Collections.nCopies(n, 1L), Collections.nCopies(n, 24L),
                    Collections.nCopies(n, 100), Collections.nCopies(n, 100), Collections.nCopies(n, 0));
            return null;
        });

        List<byte[]> found = catalog.read(h -> h.attach(ChunkDao.class).existing(all));

        assertEquals(hex(present), hex(found));
        assertEquals(n, catalog.<Long>read(h -> h.attach(ChunkDao.class).count()));
    }

    @Test
    void existingNamesEachPresentDigestOnceWhateverTheBatchLengthPadsTo() throws IOException {
        catalog.write(h -> {
            h.attach(ChunkDao.class).add(List.of(digest(1), digest(2)), List.of(1L, 1L), List.of(24L, 100L),
                    List.of(1, 1), List.of(1, 1), List.of(0, 0));
            return null;
        });
        for (int n = 1; n <= 2 * ChunkDao.EXISTING_PAD + 1; n++) {
            List<byte[]> batch = new ArrayList<>();
            for (int i = 0; i < n - 1; i++) {
                batch.add(digest(1000 + i));
            }
            batch.add(digest(2)); // the last digest, which padding repeats, is present
            int len = n;
            assertEquals(hex(List.of(digest(2))), hex(catalog.read(h -> h.attach(ChunkDao.class).existing(batch))),
                    () -> "batch of " + len);
        }
    }

    @Test
    void chunkStoredTwiceKeepsItsFirstLocation() throws IOException {
        byte[] d = digest(1);
        catalog.write(h -> {
            ChunkDao chunks = h.attach(ChunkDao.class);
            chunks.add(List.of(d), List.of(1L), List.of(24L), List.of(10), List.of(10), List.of(0));
            chunks.add(List.of(d), List.of(2L), List.of(99L), List.of(10), List.of(10), List.of(0));
            return null;
        });
        long packId = catalog.read(h -> h.createQuery("SELECT pack_id FROM chunks").mapTo(Long.class).one());
        assertEquals(1, packId);
    }

    @Test
    void forgetFromDropsOnlyTheTailOfOnePack() throws IOException {
        catalog.write(h -> {
            h.attach(ChunkDao.class).add(List.of(digest(1), digest(2), digest(3), digest(4)), List.of(1L, 1L, 1L, 2L),
                    List.of(24L, 100L, 200L, 300L), List.of(1, 1, 1, 1), List.of(1, 1, 1, 1), List.of(0, 0, 0, 0));
            return null;
        });
        assertEquals(2, catalog.<Integer>write(h -> h.attach(ChunkDao.class).forgetFrom(1, 100)));
        assertEquals(hex(List.of(digest(1), digest(4))),
                hex(catalog.read(h -> h.attach(ChunkDao.class).existing(List.of(digest(1), digest(2), digest(3), digest(4))))));
    }

    @Test
    void pageReturnsAPartsChunksInOrderWithTheirLocations() throws IOException {
        long cp = checkpoint("web01");
        long part = catalog.write(h -> h.attach(PartDao.class).create(cp, 0, "memory.img", 1, 0600, 0, ""));
        List<Integer> seqs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            seqs.add(i);
        }
        Collections.shuffle(seqs, new Random(5)); // inserted out of order
        List<byte[]> digests = seqs.stream().map(i -> digest(100 + i)).toList();
        catalog.write(h -> {
            h.attach(PartChunkDao.class).add(part, seqs, digests);
            for (int i = 0; i < 10; i++) {
                if (i != 6) { // chunk 6 has no location
                    h.attach(ChunkDao.class).add(List.of(digest(100 + i)), List.of(3L), List.of(24L + 1000L * i),
                            List.of(500 + i), List.of(400 + i), List.of(1));
                }
            }
            return null;
        });

        List<ChunkRef> first = catalog.read(h -> h.attach(PartChunkDao.class).page(part, 0, 4));
        List<ChunkRef> second = catalog.read(h -> h.attach(PartChunkDao.class).page(part, 4, 4));
        List<ChunkRef> last = catalog.read(h -> h.attach(PartChunkDao.class).page(part, 8, 4));
        List<ChunkRef> none = catalog.read(h -> h.attach(PartChunkDao.class).page(part, 10, 4));

        assertEquals(List.of(0, 1, 2, 3), first.stream().map(ChunkRef::seq).toList());
        assertEquals(List.of(4, 5, 6, 7), second.stream().map(ChunkRef::seq).toList());
        assertEquals(List.of(8, 9), last.stream().map(ChunkRef::seq).toList());
        assertTrue(none.isEmpty());
        ChunkRef c5 = second.get(1);
        assertArrayEquals(digest(105), c5.digest());
        assertEquals(new ChunkRef(5, c5.digest(), 3, 5024, 505, 405, 1), c5);
        ChunkRef c6 = second.get(2);
        assertArrayEquals(digest(106), c6.digest());
        assertEquals(0, c6.packId(), "no chunk row: no location");
    }

    @Test
    void markCompleteFlipsOnlyUploadingCheckpoints() throws IOException {
        long uploading = checkpoint("web01");
        long failed = checkpoint("web01");
        catalog.write(h -> h.execute("UPDATE checkpoints SET state = 'failed' WHERE id = ?", failed));

        assertEquals(1, catalog.<Integer>write(h -> h.attach(CheckpointDao.class).markComplete(uploading, 10, 5, 3, 2, 1, 99)));
        assertEquals(0, catalog.<Integer>write(h -> h.attach(CheckpointDao.class).markComplete(uploading, 20, 5, 3, 2, 1, 100)),
                "already complete");
        assertEquals(0, catalog.<Integer>write(h -> h.attach(CheckpointDao.class).markComplete(failed, 10, 5, 3, 2, 1, 99)));
        assertEquals(0, catalog.<Integer>write(h -> h.attach(CheckpointDao.class).markComplete(12345, 10, 5, 3, 2, 1, 99)));

        CheckpointRow done = catalog.read(h -> h.attach(CheckpointDao.class).find(uploading)).orElseThrow();
        assertEquals(new CheckpointRow(uploading, "web01", 1_700_000_000_000L, "scheduled", "complete", "unknown", false,
                "host1", 10, 5, 3, 2, 1, 2, 99L), done);
        assertEquals("failed", catalog.read(h -> h.attach(CheckpointDao.class).find(failed)).orElseThrow().state());
        assertEquals(List.of(failed), catalog.read(h -> h.attach(CheckpointDao.class).incomplete()));
    }

    /**
     * CheckpointRow.Mapper calls rs.wasNull() after reading created_at, not completed_at, so an
     * uploading checkpoint's completion time comes back as 0 (the epoch) instead of null.
     */
    @Test
    void uploadingCheckpointHasNoCompletionTime() throws IOException {
        long id = checkpoint("web01");
        assertNull(catalog.read(h -> h.attach(CheckpointDao.class).find(id)).orElseThrow().completedAt());
    }

    @Test
    void deletingACheckpointTakesItsPartsChunkListsAndLabels() throws IOException {
        long cp = checkpoint("web01");
        catalog.write(h -> {
            long part = h.attach(PartDao.class).create(cp, 0, "stream", 4, 0, 0, "");
            h.attach(PartChunkDao.class).add(part, List.of(0, 1), List.of(digest(1), digest(2)));
            h.attach(LabelDao.class).add(cp, List.of("a", "b=c"));
            return h.attach(CheckpointDao.class).delete(cp);
        });
        for (String table : new String[] {"checkpoints", "parts", "part_chunks", "labels"}) {
            assertEquals(0, catalog.<Long>read(h -> h.createQuery("SELECT COUNT(*) FROM " + table).mapTo(Long.class).one()), table);
        }
        assertTrue(catalog.<Boolean>read(h -> h.attach(WparDao.class).exists("web01")), "the WPAR stays known");
    }

    @Test
    void packsAreCreatedOpenAndSealedWithTheirSize() throws IOException {
        long a = catalog.createPack();
        long b = catalog.createPack();
        assertEquals(a + 1, b);
        catalog.sealPack(a, 4096);
        assertEquals(List.of(b), catalog.read(h -> h.attach(PackDao.class).open()));
        assertEquals(4096L, catalog.<Long>read(h -> h.createQuery("SELECT size FROM packs WHERE id = ?").bind(0, a).mapTo(Long.class).one()));
    }

    @Test
    void newestAndAtOrBeforeSelectOnlyCompleteCheckpoints() throws IOException {
        long t0 = 1_700_000_000_000L;
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            long taken = t0 + i * 1000L;
            ids.add(catalog.write(h -> {
                h.attach(WparDao.class).ensure("db01", 1);
                return h.attach(CheckpointDao.class).create("db01", taken, "scheduled", "", 1);
            }));
        }
        for (int i = 0; i < 3; i++) { // the newest stays uploading
            long id = ids.get(i);
            catalog.<Integer>write(h -> h.attach(CheckpointDao.class).markComplete(id, 0, 0, 0, 0, 0, 5));
        }
        CheckpointDao dao = catalog.jdbi().onDemand(CheckpointDao.class);
        assertEquals(ids.get(2), dao.newest("db01").orElseThrow().id());
        assertEquals(ids.get(0), dao.oldest("db01").orElseThrow().id());
        assertEquals(ids.get(1), dao.newestAtOrBefore("db01", t0 + 1999).orElseThrow().id());
        assertFalse(dao.newestAtOrBefore("db01", t0 - 1).isPresent());
        assertEquals(3, dao.listComplete("db01").size());
        assertEquals(4, dao.listAll("db01").size());
    }

    private static List<String> hex(List<byte[]> digests) {
        return digests.stream().map(HEX::formatHex).sorted().collect(Collectors.toList());
    }
}
