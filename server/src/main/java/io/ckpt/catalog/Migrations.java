package io.ckpt.catalog;

import io.ckpt.store.Datastore;
import io.ckpt.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the numbered schema migrations in order, each in its own transaction, and records the
 * version reached in {@code schema_version}. A catalog from a newer ckpt is refused rather than
 * guessed at. (Eight lines of bookkeeping do not justify Flyway and its SQLite module.) Before
 * migrating an existing catalog it copies it beside itself, so that a failed or regretted
 * upgrade can be undone by putting the copy back.
 */
final class Migrations {
    private static final Logger log = LoggerFactory.getLogger(Migrations.class);
    private static final DateTimeFormatter BACKUP_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /**
     * Every migration ever shipped, in order. Never edit one: add the next. A script's version is
     * the number in its name; a gap in the numbers is allowed (a number kept for a migration
     * developed on another branch), and the catalog's version is that of the last script applied.
     */
    static final List<String> SCRIPTS = List.of("V1__create_catalog.sql", "V2__health_and_upload_key.sql",
            "V3__part_chunks_by_digest.sql", "V4__chunks_by_pack.sql", "V5__credentials.sql",
            "V6__checkpoint_tenant.sql");

    /** The schema version this build writes: the number of its last script. */
    static final int LATEST = versionOf(SCRIPTS.get(SCRIPTS.size() - 1));

    static int versionOf(String script) {
        return Integer.parseInt(script.substring(1, script.indexOf("__")));
    }

    private Migrations() {}

    static void apply(Handle h, Path file) throws IOException {
        h.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at INTEGER NOT NULL)");
        int current = h.createQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version").mapTo(Integer.class).one();
        if (current > LATEST) {
            throw new StoreException.Incompatible("catalog " + file + " has schema version " + current
                    + ", this ckpt knows up to " + LATEST + ": upgrade ckpt");
        }
        List<String> pending = SCRIPTS.stream().filter(s -> versionOf(s) > current).toList();
        if (current > 0 && !pending.isEmpty()) {
            backUp(h, file, current, versionOf(pending.get(0)));
        }
        for (String script : pending) {
            String sql = load(script);
            int version = versionOf(script);
            h.useTransaction(tx -> {
                tx.createScript(sql).execute();
                tx.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", version, System.currentTimeMillis());
            });
        }
    }

    /**
     * Copies the catalog on {@code h} (schema version {@code current}) to
     * {@code CATALOG.before-v<next>-<UTC time>} beside it: SQLite's {@code VACUUM INTO} writes a
     * consistent snapshot (WAL included) to a temporary name, which is fsynced, renamed and its
     * directory fsynced. Any failure stops the open before anything is migrated.
     */
    private static void backUp(Handle h, Path file, int current, int next) throws IOException {
        Path abs = file.toAbsolutePath();
        Path target = abs.resolveSibling(abs.getFileName() + ".before-v" + next + "-" + BACKUP_TIME.format(Instant.now()));
        // A fixed temporary name: a copy left half-written by a crash is replaced by the next attempt.
        Path tmp = abs.resolveSibling(abs.getFileName() + ".before-migration.tmp");
        try {
            Files.deleteIfExists(tmp);
            h.execute("VACUUM INTO ?", tmp.toString());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Datastore.fsyncDirectory(target.getParent());
        } catch (IOException | RuntimeException e) {
            throw new StoreException("cannot back up catalog " + file + " (schema version " + current + ") to " + target
                    + " before migrating it to version " + LATEST + ": " + e.getMessage()
                    + "; nothing was migrated (free space beside the catalog, or fix the cause, and start again)", e);
        }
        log.info("backed up catalog {} (schema version {}) to {} before migrating it to version {}",
                file, current, target, LATEST);
    }

    /** The schema version of the catalog on {@code h}, without changing anything (0: none). */
    static int version(Handle h) {
        boolean exists = h.createQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
                .mapTo(Integer.class).one() > 0;
        return exists ? h.createQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version").mapTo(Integer.class).one() : 0;
    }

    private static String load(String name) throws IOException {
        try (InputStream in = Migrations.class.getResourceAsStream("migration/" + name)) {
            if (in == null) {
                throw new IOException("migration " + name + " missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
