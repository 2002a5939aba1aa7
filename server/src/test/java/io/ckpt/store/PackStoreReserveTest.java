package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The free-space reserve is checked against the real free space before each upload's pack write
 * (issue 21): appends as fast as the disk takes them stop at the reserve, never in ENOSPC, and
 * garbage collection's appends may still use the reserve. Mounts a 24 MiB tmpfs (tests run as root).
 */
final class PackStoreReserveTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void uploadAppendsStopAtTheReserveAndGcMayUseIt() throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small-fs"));
        run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount.toString());
        try {
            Datastore ds = Datastore.openOrCreate(mount.resolve("ds"));
            long reserveBytes = 8 * MIB;
            FreeSpaceReserve reserve = new FreeSpaceReserve(ds.root(), reserveBytes);
            byte[] raw = new byte[(int) MIB];
            new Random(1).nextBytes(raw);
            ChunkRecord record = ChunkRecord.plain(raw);
            try (PackStore store = new PackStore(ds, new PackStoreTest.MemoryLedger(), 1L << 30)) {
                store.reserve(reserve);
                StoreException.NoSpace refused = null;
                for (int i = 0; i < 64 && refused == null; i++) {
                    try {
                        store.checkReserve(); // what an upload does before it builds a batch
                        store.append(batchOf(record));
                    } catch (StoreException.NoSpace e) {
                        refused = e;
                    }
                }
                StoreException.NoSpace e = refused;
                assertTrue(e != null, "appends were never refused");
                assertTrue(e.getMessage().contains("below its reserve"), () -> "refused by the reserve, not by ENOSPC: " + e);
                long free = Files.getFileStore(mount).getUsableSpace();
                assertTrue(free >= reserveBytes - 64 * 1024, () -> "the reserve is left free: " + free + " bytes");

                // Compaction may write into the reserve: that is what it is kept for.
                assertDoesNotThrow(() -> store.appendUsingReserve(batchOf(record)));
            }
        } finally {
            run("umount", "-l", mount.toString());
        }
    }

    private static RecordBatch batchOf(ChunkRecord r) {
        RecordBatch b = new RecordBatch(r.recordLength());
        r.addTo(b);
        return b;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", cmd) + " failed (this test mounts a small tmpfs and needs root): " + out);
        }
    }
}
