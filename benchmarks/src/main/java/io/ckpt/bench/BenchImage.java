package io.ckpt.bench;

import io.ckpt.bench.chunking.MemoryImageCorpus;
import io.ckpt.bench.chunking.MemoryImageCorpus.Image;

/**
 * The memory images benchmarks process: {@link MemoryImageCorpus} with seed 1 (4 KiB pages in
 * runs, 20% zero, 50% compressible text and records, 30% random), so every run and every machine
 * sees the same bytes.
 */
public final class BenchImage {
    public static final long SEED = 1;
    private static final MemoryImageCorpus CORPUS = new MemoryImageCorpus(SEED);

    private BenchImage() {}

    /** A first image of {@code mib} MiB. */
    public static Image first(int mib) {
        return CORPUS.first(pages(mib));
    }

    /** The corpus, for benchmarks that make next versions of an image. */
    public static MemoryImageCorpus corpus() {
        return CORPUS;
    }

    private static int pages(int mib) {
        if (mib < 1 || mib > 2047) {
            throw new IllegalArgumentException("image size must be 1 to 2047 MiB: " + mib);
        }
        return mib * (1 << 20) / MemoryImageCorpus.PAGE;
    }
}
