package io.ckpt.store;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Space on the datastore's file system that uploads may not use, so that restore, prune, GC
 * (whose compaction writes new packs) and verify keep working when the disk fills. Uploads ask
 * before each batch; the file system is asked at most twice a second.
 */
public final class FreeSpaceReserve {
    private final FileStore store;
    private final long reserve;
    private long checkedAt;
    private long usable = Long.MAX_VALUE;

    /**
     * @param reserveBytes the reserve, or -1 for the default: 5% of the file system, at most 1 GiB
     */
    public FreeSpaceReserve(Path datastore, long reserveBytes) throws IOException {
        this.store = Files.getFileStore(datastore);
        this.reserve = reserveBytes >= 0 ? reserveBytes : Math.min(1L << 30, store.getTotalSpace() / 20);
    }

    public long bytes() {
        return reserve;
    }

    /** Fails with {@link StoreException.NoSpace} when free space is below the reserve. */
    public synchronized void check() throws IOException {
        long now = System.nanoTime();
        if (now - checkedAt > 500_000_000L) {
            usable = store.getUsableSpace();
            checkedAt = now;
        }
        if (usable < reserve) {
            throw new StoreException.NoSpace("disk full: only " + mib(usable) + " free on the datastore's file system,"
                    + " below its reserve of " + mib(reserve) + " (--reserve); free space (ckpt prune, then ckpt gc)"
                    + " and retry", null);
        }
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
