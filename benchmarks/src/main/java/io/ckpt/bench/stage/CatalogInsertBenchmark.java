package io.ckpt.bench.stage;

import io.ckpt.bench.BenchmarkBase;
import io.ckpt.bench.ByteCounter;
import io.ckpt.bench.ScratchDir;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.ChunkDao;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.catalog.PartDao;
import io.ckpt.catalog.WparDao;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The catalog work of one ingest buffer of new chunks, as {@code StreamChunks.storeBatch} does
 * it: ask which of {@code batchChunks} digests exist (none do), then in one write transaction
 * insert their chunk rows and the part's chunk list ({@code ChunkDao.add} and
 * {@code PartChunkDao.add}, JDBC batches). The catalog starts with {@code seededChunks} chunks
 * (0: a new datastore's first upload; a million: about 8 GiB of distinct chunks stored) and grows
 * as the benchmark runs.
 *
 * <p>MBps: image bytes the batch stands for, at the mean chunk size of the benchmark image
 * (printed at setup); chunks per second are the score times {@code batchChunks}.
 */
@State(Scope.Thread)
public class CatalogInsertBenchmark extends BenchmarkBase {
    @Param({"0", "1000000"})
    int seededChunks;

    /** Chunks ingest cuts from its 4 MiB buffer at this image's mean chunk of ~10.9 KB. */
    @Param("384")
    int batchChunks;

    private ScratchDir dir;
    private Catalog catalog;
    private double meanChunkBytes;
    private long partId;
    private long nextDigest;
    private int nextSeq;

    @Setup
    public void setUp() throws IOException {
        dir = ScratchDir.create("ckpt-bench-catalog-");
        catalog = SeededCatalog.openCopy(seededChunks, dir.path());
        partId = catalog.write(h -> {
            long now = System.currentTimeMillis();
            h.attach(WparDao.class).ensure("bench", now);
            long cp = h.attach(CheckpointDao.class).create("bench", now, "scheduled", "bench-host", now);
            return h.attach(PartDao.class).create(cp, 0, "memory.img", PartType.STREAM.code(), 0600, now, "");
        });
        nextDigest = 1L << 40; // past the seeded range
        meanChunkBytes = ImageChunks.of(16).meanChunkBytes();
        System.out.printf("%n# mean chunk %.0f bytes: a batch of %d stands for %.2f MB of image%n",
                meanChunkBytes, batchChunks, batchChunks * meanChunkBytes / 1e6);
    }

    @TearDown
    public void tearDown() throws IOException {
        catalog.close();
        dir.close();
    }

    /** Returns how many digests already existed (0). */
    @Benchmark
    public int insertNewBatch(ByteCounter counter) throws IOException {
        List<byte[]> digests = new ArrayList<>(batchChunks);
        List<Long> packs = new ArrayList<>(batchChunks);
        List<Long> offsets = new ArrayList<>(batchChunks);
        List<Integer> seqs = new ArrayList<>(batchChunks);
        for (int i = 0; i < batchChunks; i++) {
            digests.add(SeededCatalog.digest(nextDigest++));
            packs.add(1_000_000L);
            offsets.add(24L + 8_000L * i);
            seqs.add(nextSeq++);
        }
        int existing = catalog.read(h -> h.attach(ChunkDao.class).existing(digests)).size();
        List<Integer> raw = Collections.nCopies(batchChunks, 8192);
        List<Integer> stored = Collections.nCopies(batchChunks, 4096);
        List<Integer> codec = Collections.nCopies(batchChunks, 1);
        catalog.write(h -> {
            h.attach(ChunkDao.class).add(digests, packs, offsets, raw, stored, codec);
            h.attach(PartChunkDao.class).add(partId, seqs, digests);
            return null;
        });
        counter.MBps += batchChunks * meanChunkBytes / 1e6;
        return existing;
    }
}
