package io.ckpt.bench.stage;

import io.ckpt.bench.BenchmarkBase;
import io.ckpt.bench.ByteCounter;
import io.ckpt.bench.ScratchDir;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.ChunkDao;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The dedup question ingest asks once per buffer: which of these {@code batchChunks} digests does
 * the catalog have ({@code ChunkDao.existing}, one {@code IN (...)} query on a read connection),
 * against a catalog seeded with {@code seededChunks} chunks (see {@link SeededCatalog}).
 * {@code lookup=hit} asks for digests it holds, drawn at random (an incremental upload);
 * {@code miss} for digests it lacks (a cold one).
 *
 * <p>MBps: image bytes the batch stands for, at the mean chunk size of the benchmark image
 * (printed at setup); chunks per second are the score times {@code batchChunks}.
 */
@State(Scope.Thread)
public class CatalogLookupBenchmark extends BenchmarkBase {
    @Param("1000000")
    int seededChunks;

    /** Chunks ingest cuts from its 4 MiB buffer at this image's mean chunk of ~10.9 KB. */
    @Param("384")
    int batchChunks;

    @Param({"hit", "miss"})
    String lookup;

    private ScratchDir dir;
    private Catalog catalog;
    private double meanChunkBytes;
    private final SplittableRandom random = new SplittableRandom(42);

    @Setup
    public void setUp() throws IOException {
        if (!lookup.equals("hit") && !lookup.equals("miss")) {
            throw new IllegalArgumentException("lookup must be hit or miss: " + lookup);
        }
        if (lookup.equals("hit") && seededChunks < 1) {
            throw new IllegalArgumentException("lookup=hit needs seededChunks >= 1: " + seededChunks);
        }
        dir = ScratchDir.create("ckpt-bench-catalog-");
        catalog = SeededCatalog.openCopy(seededChunks, dir.path());
        meanChunkBytes = ImageChunks.of(16).meanChunkBytes();
        System.out.printf("%n# mean chunk %.0f bytes: a batch of %d stands for %.2f MB of image%n",
                meanChunkBytes, batchChunks, batchChunks * meanChunkBytes / 1e6);
    }

    @TearDown
    public void tearDown() throws IOException {
        catalog.close();
        dir.close();
    }

    /** Returns how many of the digests the catalog has. */
    @Benchmark
    public int existing(ByteCounter counter) throws IOException {
        List<byte[]> digests = new ArrayList<>(batchChunks);
        boolean hit = lookup.equals("hit");
        for (int i = 0; i < batchChunks; i++) {
            // a miss: past the seeded range, never repeated
            digests.add(SeededCatalog.digest(hit ? random.nextInt(seededChunks) : seededChunks + random.nextLong(1L << 40)));
        }
        int found = catalog.read(h -> h.attach(ChunkDao.class).existing(digests)).size();
        counter.MBps += batchChunks * meanChunkBytes / 1e6;
        return found;
    }
}
