package io.ckpt.bench.stage;

import io.ckpt.bench.BenchImage;
import io.ckpt.bench.BenchmarkBase;
import io.ckpt.bench.ByteCounter;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** FastCDC with the datastore's sizes: cut points of a whole image, one thread. MBps: image bytes. */
@State(Scope.Thread)
public class ChunkerBenchmark extends BenchmarkBase {
    @Param("16")
    int imageMiB;

    private byte[] image;
    private final ContentDefinedChunker chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);

    @Setup
    public void setUp() {
        image = BenchImage.first(imageMiB).bytes();
    }

    /** Returns the chunk count, so that the cuts are not optimized away. */
    @Benchmark
    public int cut(ByteCounter counter) {
        int chunks = 0;
        for (int off = 0; off < image.length; chunks++) {
            off += chunker.nextCut(image, off, image.length - off);
        }
        counter.MBps += image.length / 1e6;
        return chunks;
    }
}
