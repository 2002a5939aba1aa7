package io.ckpt.bench.stage;

import io.ckpt.bench.BenchImage;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import java.util.Arrays;

/** A benchmark image and the chunks ingest cuts it into (FastCDC, {@link ChunkerParams#DEFAULT}). */
record ImageChunks(byte[] bytes, int[] offsets, int[] lengths) {

    static ImageChunks of(int mib) {
        byte[] bytes = BenchImage.first(mib).bytes();
        ContentDefinedChunker chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        int[] offsets = new int[bytes.length / ChunkerParams.DEFAULT.minSize() + 1];
        int[] lengths = new int[offsets.length];
        int count = 0;
        for (int off = 0; off < bytes.length; count++) {
            int n = chunker.nextCut(bytes, off, bytes.length - off);
            offsets[count] = off;
            lengths[count] = n;
            off += n;
        }
        return new ImageChunks(bytes, Arrays.copyOf(offsets, count), Arrays.copyOf(lengths, count));
    }

    int count() {
        return offsets.length;
    }

    double meanChunkBytes() {
        return bytes.length / (double) count();
    }
}
