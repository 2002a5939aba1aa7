package io.ckpt.catalog;

import io.ckpt.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * Applies the numbered schema migrations in order, each in its own transaction, and records the
 * version reached in {@code schema_version}. A catalog from a newer ckpt is refused rather than
 * guessed at. (Eight lines of bookkeeping do not justify Flyway and its SQLite module.)
 */
final class Migrations {
    /** Every migration ever shipped, in order. Never edit one: add the next. */
    static final List<String> SCRIPTS = List.of("V1__create_catalog.sql", "V2__health_and_upload_key.sql",
            "V3__part_chunks_by_digest.sql", "V4__chunks_by_pack.sql");

    private Migrations() {}

    static void apply(Handle h, Path file) throws IOException {
        h.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at INTEGER NOT NULL)");
        int current = h.createQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version").mapTo(Integer.class).one();
        if (current > SCRIPTS.size()) {
            throw new StoreException.Incompatible("catalog " + file + " has schema version " + current
                    + ", this ckpt knows up to " + SCRIPTS.size() + ": upgrade ckpt");
        }
        for (int v = current + 1; v <= SCRIPTS.size(); v++) {
            String sql = load(SCRIPTS.get(v - 1));
            int version = v;
            h.useTransaction(tx -> {
                tx.createScript(sql).execute();
                tx.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", version, System.currentTimeMillis());
            });
        }
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
