package io.ckpt.catalog;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ckpt.store.PackLedger;
import io.ckpt.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The catalog database: a small pool of SQLite connections in WAL mode, with one writer at a
 * time (SQLite allows no more; taking our own lock avoids busy retries) and concurrent readers.
 */
public final class Catalog implements AutoCloseable, PackLedger {
    private final HikariDataSource pool;
    private final Jdbi jdbi;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Path file;
    private final boolean readOnly;
    private boolean fresh;

    private Catalog(Path file, HikariDataSource pool, boolean readOnly) {
        this.file = file;
        this.pool = pool;
        this.readOnly = readOnly;
        this.jdbi = Jdbi.create(pool).installPlugin(new SqlObjectPlugin());
    }

    /**
     * Opens (creating when missing) the catalog at {@code file}, applies pending migrations and
     * checks that it belongs to the datastore {@code datastoreId}.
     */
    public static Catalog open(Path file, String datastoreId) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        SQLiteConfig cfg = new SQLiteConfig();
        cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
        cfg.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        cfg.enforceForeignKeys(true);
        cfg.setBusyTimeout(30_000);
        SQLiteDataSource sqlite = new SQLiteDataSource(cfg);
        sqlite.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
        HikariConfig hc = new HikariConfig();
        hc.setDataSource(sqlite);
        hc.setMaximumPoolSize(8);
        hc.setMinimumIdle(1);
        hc.setPoolName("catalog");
        hc.setConnectionTimeout(30_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new StoreException("cannot open catalog " + file + ": " + e.getMessage(), e);
        }
        Catalog c = new Catalog(file, pool, false);
        try {
            c.writeLock.lock();
            try {
                c.jdbi.useHandle(h -> Migrations.apply(h, file));
            } finally {
                c.writeLock.unlock();
            }
            c.bindToDatastore(datastoreId);
        } catch (RuntimeException | IOException e) {
            c.close();
            if (e instanceof IOException io) {
                throw io;
            }
            throw new StoreException("cannot open catalog " + file + ": " + e.getMessage(), e);
        }
        return c;
    }

    /**
     * Opens the existing catalog at {@code file} for reading only, for a restore without the
     * server: SQLite's read-only mode (any write fails inside SQLite, and {@link #write} refuses
     * before it), no migrations, no binding. The schema must be the one this build knows and the
     * catalog must belong to {@code datastoreId}. In WAL mode SQLite still maps the
     * {@code -shm} index beside the file (creating it if the last server removed it on a clean
     * stop); the database and its {@code -wal} are only read.
     */
    public static Catalog openReadOnly(Path file, String datastoreId) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new StoreException.Incompatible("no catalog at " + file + ": give the right --catalog, or rebuild it"
                    + " with 'ckpt server rebuild-catalog --datastore DIR [--catalog PATH]' (that writes; stop the server first)");
        }
        if (!Files.isReadable(file)) {
            throw new StoreException.Incompatible("catalog " + file + " is not readable by this user: run as the server's user");
        }
        SQLiteConfig cfg = new SQLiteConfig();
        cfg.setReadOnly(true);
        cfg.setBusyTimeout(30_000);
        SQLiteDataSource sqlite = new SQLiteDataSource(cfg);
        sqlite.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
        HikariConfig hc = new HikariConfig();
        hc.setDataSource(sqlite);
        hc.setReadOnly(true);
        hc.setMaximumPoolSize(2);
        hc.setMinimumIdle(0);
        hc.setPoolName("catalog-read-only");
        hc.setConnectionTimeout(30_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new StoreException("cannot open catalog " + file + " read-only: " + rootMessage(e)
                    + "; if it is damaged, rebuild it with 'ckpt server rebuild-catalog' (stop the server first)", e);
        }
        Catalog c = new Catalog(file, pool, true);
        try {
            c.checkReadable(datastoreId);
        } catch (RuntimeException | IOException e) {
            c.close();
            if (e instanceof IOException io) {
                throw io;
            }
            throw new StoreException("cannot read catalog " + file + ": " + rootMessage(e), e);
        }
        return c;
    }

    /** A read-only open's checks: a schema this build reads, and this datastore's catalog. */
    private void checkReadable(String datastoreId) throws IOException {
        int version = read(h -> Migrations.version(h));
        if (version != Migrations.LATEST) {
            throw new StoreException.Incompatible("catalog " + file + " has schema version " + version + ", this ckpt reads "
                    + Migrations.LATEST + (version > Migrations.LATEST ? ": upgrade ckpt"
                            : ": start the server of this version once to migrate it, or use the ckpt that wrote it"));
        }
        String id = read(h -> h.attach(MetaDao.class).get("datastore_id")).orElse(null);
        if (!datastoreId.equals(id)) {
            throw new StoreException.Incompatible("catalog " + file + " belongs to datastore " + id
                    + ", not to this one (" + datastoreId + "): check --catalog");
        }
    }

    /** Whether this catalog was opened by {@link #openReadOnly}. */
    public boolean isReadOnly() {
        return readOnly;
    }

    private void bindToDatastore(String datastoreId) throws IOException {
        String existing = write(h -> {
            MetaDao meta = h.attach(MetaDao.class);
            String id = meta.get("datastore_id").orElse(null);
            if (id == null) {
                meta.put("datastore_id", datastoreId);
            }
            return id;
        });
        fresh = existing == null;
        if (existing != null && !existing.equals(datastoreId)) {
            throw new StoreException.Incompatible("catalog " + file + " belongs to datastore " + existing
                    + ", not to this one (" + datastoreId + "): check --catalog");
        }
    }

    /** Whether this open bound the catalog to its datastore for the first time (a new catalog). */
    public boolean isFresh() {
        return fresh;
    }

    public Path file() {
        return file;
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** Catalog work on one handle; may throw {@link IOException}. */
    @FunctionalInterface
    public interface Work<R> {
        R run(Handle h) throws IOException;
    }

    /** Runs {@code work} in a write transaction, alone among writers. */
    public <R> R write(Work<R> work) throws IOException {
        refuseIfReadOnly();
        writeLock.lock();
        try {
            return call(() -> jdbi.inTransaction(h -> work.run(h)));
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Like {@link #write}, but the commit is fsynced (synchronous=FULL) so that an acknowledged
     * checkpoint survives a power loss, not only a crash.
     */
    public <R> R writeDurably(Work<R> work) throws IOException {
        refuseIfReadOnly();
        writeLock.lock();
        try {
            return call(() -> jdbi.withHandle(h -> {
                h.execute("PRAGMA synchronous=FULL");
                try {
                    return h.inTransaction(tx -> work.run(tx));
                } finally {
                    h.execute("PRAGMA synchronous=NORMAL");
                }
            }));
        } finally {
            writeLock.unlock();
        }
    }

    private void refuseIfReadOnly() {
        if (readOnly) {
            throw new IllegalStateException("catalog " + file + " is open read-only: no writes");
        }
    }

    /** Runs {@code work} on a read connection. */
    public <R> R read(Work<R> work) throws IOException {
        return call(() -> jdbi.withHandle(h -> work.run(h)));
    }

    private interface Call<R> {
        R call() throws IOException;
    }

    private <R> R call(Call<R> c) throws IOException {
        try {
            return c.call();
        } catch (org.jdbi.v3.core.JdbiException e) {
            // Statement, connection and transaction (commit) failures alike: a full disk shows at commit too.
            throw StoreException.classify(new IOException("catalog " + file + ": " + rootMessage(e), e), "catalog " + file);
        }
    }

    /** The messages of the whole cause chain: SQLITE_FULL often sits below a generic "Failed to commit". */
    private static String rootMessage(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 1000; t = t.getCause()) {
            if (t.getMessage() != null && sb.indexOf(t.getMessage()) < 0) {
                sb.append(sb.length() == 0 ? "" : ": ").append(t.getMessage());
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return sb.toString();
    }

    @Override
    public long createPack() throws IOException {
        return write(h -> h.attach(PackDao.class).create(System.currentTimeMillis()));
    }

    @Override
    public void sealPack(long id, long size) throws IOException {
        write(h -> {
            h.attach(PackDao.class).seal(id, size, System.currentTimeMillis());
            return null;
        });
    }

    @Override
    public void close() {
        pool.close();
    }

}
