package io.ckpt.store;

import io.ckpt.alert.Alerts;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Space on the datastore's file system that uploads may not use, so that restore, prune, GC
 * (whose compaction writes new packs) and verify keep working when the disk fills. The file system
 * is asked afresh before each pack write of an upload ({@link PackStore#append}, under the
 * {@code PackStore} monitor, counting the batch about to be written): a value cached for half a
 * second let uploads write tens of MiB past the reserve into ENOSPC, and then GC had no room to
 * compact (issue 21). A statvfs per batch of about 2 MiB costs microseconds.
 *
 * <p>Being below the reserve is the {@link Alerts#DISK_RESERVE} alert: raised when an upload is
 * refused or {@link #refresh()} finds free space below the reserve, cleared when an upload passes
 * the check or {@code refresh()} finds it back above.
 */
public final class FreeSpaceReserve {
    private final FileStore store;
    private final long reserve;
    private final Path datastore;
    private final Alerts alerts;
    private long usable = Long.MAX_VALUE;

    /**
     * @param reserveBytes the reserve, or -1 for the default: 5% of the file system, at most 1 GiB
     */
    public FreeSpaceReserve(Path datastore, long reserveBytes) throws IOException {
        this(datastore, reserveBytes, new Alerts());
    }

    /** Like {@link #FreeSpaceReserve(Path, long)}, reporting the {@link Alerts#DISK_RESERVE} alert to {@code alerts}. */
    public FreeSpaceReserve(Path datastore, long reserveBytes, Alerts alerts) throws IOException {
        this.datastore = datastore;
        this.alerts = alerts;
        this.store = Files.getFileStore(datastore);
        this.reserve = reserveBytes >= 0 ? reserveBytes : Math.min(1L << 30, store.getTotalSpace() / 20);
    }

    public long bytes() {
        return reserve;
    }

    /** The datastore file system's size, asked now. */
    public long totalBytes() throws IOException {
        return store.getTotalSpace();
    }

    /** Space on the datastore's file system this process may use, asked now. */
    public long usableBytes() throws IOException {
        return store.getUsableSpace();
    }

    /** Fails with {@link StoreException.NoSpace} when free space, asked now, is below the reserve. */
    public void check() throws IOException {
        check(0);
    }

    /**
     * Fails with {@link StoreException.NoSpace} when writing {@code bytes} more would leave less
     * free space than the reserve; the file system is asked now, never a cached value.
     */
    public synchronized void check(long bytes) throws IOException {
        usable = store.getUsableSpace();
        if (usable - bytes < reserve) {
            alerts.raise(Alerts.DISK_RESERVE, Alerts.Severity.CRITICAL, "uploads are refused: " + shortage());
            throw new StoreException.NoSpace("disk full: " + shortage() + "; free space (ckpt prune, then ckpt gc)"
                    + " and retry", null);
        }
        if (alerts.isActive(Alerts.DISK_RESERVE)) { // not built per batch when all is well
            alerts.clear(Alerts.DISK_RESERVE, "an upload passed the check: " + mib(usable) + " free, reserve "
                    + mib(reserve));
        }
    }

    /** Asks the file system now and raises or clears the alert accordingly; for monitoring queries. */
    public synchronized void refresh() {
        try {
            usable = store.getUsableSpace();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("free space of " + datastore + ": " + e.getMessage(), e);
        }
        if (usable < reserve) {
            alerts.raise(Alerts.DISK_RESERVE, Alerts.Severity.CRITICAL, "uploads are refused: " + shortage());
        } else {
            alerts.clear(Alerts.DISK_RESERVE, mib(usable) + " free again, reserve " + mib(reserve));
        }
    }

    private String shortage() {
        return "only " + mib(usable) + " free on the datastore's file system, below its reserve of " + mib(reserve)
                + " (--reserve)";
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
