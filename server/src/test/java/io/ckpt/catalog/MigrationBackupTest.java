package io.ckpt.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A migration of an existing catalog is preceded by a consistent copy of it; a new catalog is not copied. */
final class MigrationBackupTest {
    private static final String DATASTORE = "3f1c0a52-5f1e-4d0b-9a57-2f7c2b8e1d01";

    @TempDir
    Path dir;

    /** A catalog at schema version 3 holding one WPAR: a current one with V4, V5 and V6 undone. */
    private Path versionThreeCatalog() throws IOException {
        Path file = dir.resolve("catalog.db");
        try (Catalog c = Catalog.open(file, DATASTORE)) {
            c.write(h -> {
                h.attach(WparDao.class).ensure("web01", 1);
                return null;
            });
        }
        Jdbi.create("jdbc:sqlite:" + file).useHandle(h -> {
            h.execute("DROP INDEX chunks_by_pack");
            h.execute("DROP TABLE credentials");
            h.execute("DROP INDEX checkpoints_by_tenant");
            h.execute("DROP TABLE upload_chunks");
            h.execute("ALTER TABLE checkpoints DROP COLUMN tenant");
            h.execute("DELETE FROM schema_version WHERE version >= 4");
        });
        return file;
    }

    private List<Path> backups() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(".before-")).sorted().toList();
        }
    }

    private static int version(Path file) {
        return Jdbi.create("jdbc:sqlite:" + file).withHandle(Migrations::version);
    }

    @Test
    void openingAnOldCatalogBacksItUpAtItsOldVersionThenMigrates() throws IOException {
        Path file = versionThreeCatalog();
        try (Catalog c = Catalog.open(file, DATASTORE)) {
            assertEquals(Migrations.LATEST, c.read(Migrations::version));
            assertEquals(1, c.<Integer>read(h -> h.createQuery(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'chunks_by_pack'").mapTo(Integer.class).one()));
        }
        List<Path> backups = backups();
        assertEquals(1, backups.size(), "backups: " + backups);
        Path backup = backups.get(0);
        assertTrue(backup.getFileName().toString().matches("catalog\\.db\\.before-v4-\\d{8}T\\d{6}Z"), backup.toString());
        assertEquals(3, version(backup));
        assertEquals(List.of("web01"), Jdbi.create("jdbc:sqlite:" + backup)
                .withHandle(h -> h.createQuery("SELECT name FROM wpars").mapTo(String.class).list()));
    }

    @Test
    void aNewOrCurrentCatalogIsNotBackedUp() throws IOException {
        Path file = dir.resolve("catalog.db");
        Catalog.open(file, DATASTORE).close();
        Catalog.open(file, DATASTORE).close();
        assertEquals(List.of(), backups());
    }

    @Test
    void aFailedBackupStopsTheOpenWithNothingMigrated() throws IOException {
        Path file = versionThreeCatalog();
        // The temporary copy's name is taken by a non-empty directory: the copy cannot be written.
        Path blocker = dir.resolve("catalog.db.before-migration.tmp");
        Files.createDirectories(blocker);
        Files.writeString(blocker.resolve("in-the-way"), "x");
        StoreException e = assertThrows(StoreException.class, () -> Catalog.open(file, DATASTORE));
        assertTrue(e.getMessage().contains("cannot back up catalog") && e.getMessage().contains("nothing was migrated"),
                e.getMessage());
        assertEquals(3, version(file));
    }
}
