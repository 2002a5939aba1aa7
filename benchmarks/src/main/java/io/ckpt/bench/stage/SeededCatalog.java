package io.ckpt.bench.stage;

import io.ckpt.bench.ScratchDir;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.ChunkDao;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A catalog whose chunks table holds {@code n} rows with the digests {@link #digest(long)} of 0
 * to n-1, for the catalog benchmarks. Seeding a million rows takes a while, so the seeded file is
 * kept in {@link ScratchDir#root()} as {@code ckpt-bench-catalog-<n>.db} and reused by later
 * forks and runs; each trial works on its own copy.
 */
final class SeededCatalog {
    static final String DATASTORE_ID = "ckpt-bench";
    private static final int SEED_BATCH = 10_000;

    private SeededCatalog() {}

    /** Opens a private copy of the seeded catalog in {@code dir}, seeding the shared file first if missing. */
    static Catalog openCopy(int n, Path dir) throws IOException {
        Path seeded = ScratchDir.root().resolve("ckpt-bench-catalog-" + n + ".db");
        if (!Files.exists(seeded)) {
            seed(seeded, n);
        }
        Path copy = dir.resolve("catalog.db");
        Files.copy(seeded, copy, StandardCopyOption.REPLACE_EXISTING);
        return Catalog.open(copy, DATASTORE_ID);
    }

    private static void seed(Path target, int n) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        long t0 = System.nanoTime();
        try (Catalog c = Catalog.open(tmp, DATASTORE_ID)) {
            for (int from = 0; from < n; from += SEED_BATCH) {
                int count = Math.min(SEED_BATCH, n - from);
                List<byte[]> digests = new ArrayList<>(count);
                List<Long> packs = new ArrayList<>(count);
                List<Long> offsets = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    digests.add(digest(from + i));
                    packs.add(1L + (from + i) / 30_000);          // ~30,000 chunks of ~8 KiB in a 256 MiB pack
                    offsets.add(24L + (long) ((from + i) % 30_000) * 8_000);
                }
                List<Integer> raw = Collections.nCopies(count, 8192);
                List<Integer> stored = Collections.nCopies(count, 4096);
                List<Integer> codec = Collections.nCopies(count, 1);
                c.write(h -> {
                    h.attach(ChunkDao.class).add(digests, packs, offsets, raw, stored, codec);
                    return null;
                });
            }
        }
        Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + "-wal"));
        Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + "-shm"));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        System.out.printf(Locale.ROOT, "%n# seeded %,d chunks into %s in %.1f s%n", n, target, (System.nanoTime() - t0) / 1e9);
    }

    /** A 32-byte stand-in for the SHA-256 of chunk {@code i}: SplitMix64 of i, four times. */
    static byte[] digest(long i) {
        byte[] d = new byte[32];
        for (int k = 0; k < 4; k++) {
            long z = (i * 4 + k + 1) * 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            for (int b = 0; b < 8; b++) {
                d[k * 8 + b] = (byte) (z >>> (56 - 8 * b));
            }
        }
        return d;
    }
}
