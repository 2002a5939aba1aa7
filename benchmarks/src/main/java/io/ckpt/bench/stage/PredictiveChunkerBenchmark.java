package io.ckpt.bench.stage;

import io.ckpt.bench.BenchImage;
import io.ckpt.bench.BenchmarkBase;
import io.ckpt.bench.ByteCounter;
import io.ckpt.bench.ScratchDir;
import io.ckpt.bench.chunking.MemoryImageCorpus.Change;
import io.ckpt.bench.chunking.MemoryImageCorpus.Image;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import io.ckpt.chunk.PredictiveChunker;
import io.ckpt.chunk.PreviousChunks;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the client of a delta upload does to every byte of an incremental image before it knows
 * what to send: cut it into chunks and name each with SHA-256. The image is the second version of
 * a memory image, 5% of its pages changed in clusters of up to 16, read from a file (in the page
 * cache after the first iteration). {@code previous=none} cuts and hashes every byte, as stream
 * mode and a cold delta upload do; {@code previous=last} predicts the chunks from the first
 * version's chunk list ({@link PredictiveChunker}). MBps: image bytes.
 */
@State(Scope.Benchmark)
public class PredictiveChunkerBenchmark extends BenchmarkBase {
    @Param("256")
    int imageMiB;

    @Param({"none", "last"})
    String previous;

    @Param({"1", "2"})
    int threads;

    private ScratchDir scratch;
    private Path file;
    private PreviousChunks chunks;
    private ExecutorService pool;
    private PredictiveChunker chunker;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Image first = BenchImage.first(imageMiB);
        Image next = BenchImage.corpus().next(first, 1, new Change(0.05, 16, 0));
        scratch = ScratchDir.create("predict");
        file = Files.write(scratch.path().resolve("next.img"), next.bytes());
        chunks = "last".equals(previous) ? chunkList(first.bytes()) : PreviousChunks.NONE;
        pool = Executors.newFixedThreadPool(Math.max(1, threads - 1));
        chunker = new PredictiveChunker(ChunkerParams.DEFAULT, pool, threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        pool.shutdownNow();
        scratch.close();
    }

    /** Returns the bytes that came from the prediction, so that nothing is optimized away. */
    @Benchmark
    public long chunkAndHash(ByteCounter counter) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            PredictiveChunker.Stats stats = chunker.run(ch, ch.size(), chunks, (o, l, d, dOff, k, data, dataOff) -> {});
            counter.MBps += stats.bytes() / 1e6;
            return stats.predictedBytes();
        }
    }

    private static PreviousChunks chunkList(byte[] image) {
        ContentDefinedChunker cdc = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        PreviousChunks.Builder b = new PreviousChunks.Builder();
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (int off = 0; off < image.length; ) {
                int n = cdc.nextCut(image, off, image.length - off);
                md.update(image, off, n);
                b.add(n, md.digest(), 0);
                off += n;
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return b.build();
    }
}
