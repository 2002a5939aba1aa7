package io.ckpt.chunk;

/**
 * FastCDC content-defined chunking (Xia et al., "The Design of Fast Content-Defined Chunking for
 * Data Deduplication Based Storage Systems", 2020) with normalized chunking at level 2.
 *
 * <p>A gear hash rolls over the bytes; a cut is made where the top bits of the hash are zero.
 * Before the average size a stricter mask (two more bits) is used, after it a looser one (two
 * fewer bits), which pulls chunk sizes towards the average. Because cut points depend only on the
 * bytes near them, an insertion shifts one or two chunks and the rest of the stream cuts the same
 * way as before: that is what lets a checkpoint whose heap grew still share its later pages.
 *
 * <p>Stateless and thread-safe: the caller keeps its own buffer and asks for one cut at a time.
 *
 * <pre>{@code
 * int n = chunker.nextCut(buf, off, len);   // len >= maxSize, or all that is left at end of stream
 * }</pre>
 */
public final class ContentDefinedChunker {
    private static final long[] GEAR = gearTable();

    private final int minSize;
    private final int avgSize;
    private final int maxSize;
    private final long maskStrict;
    private final long maskLoose;

    public ContentDefinedChunker(ChunkerParams params) {
        this.minSize = params.minSize();
        this.avgSize = params.avgSize();
        this.maxSize = params.maxSize();
        int bits = Integer.numberOfTrailingZeros(avgSize);
        this.maskStrict = topBits(bits + 2);
        this.maskLoose = topBits(bits - 2);
    }

    public int minSize() {
        return minSize;
    }

    public int maxSize() {
        return maxSize;
    }

    /**
     * Returns the length of the chunk that starts at {@code buf[off]}.
     *
     * @param len bytes available from {@code off}; must be at least {@code maxSize} unless these
     *     are the last bytes of the stream, since a cut can lie anywhere up to {@code maxSize}
     * @return a length in {@code [1, min(len, maxSize)]}
     */
    public int nextCut(byte[] buf, int off, int len) {
        if (len <= minSize) {
            return len;
        }
        int end = Math.min(len, maxSize);
        int normal = Math.min(end, avgSize);
        long hash = 0;
        int i = minSize;
        for (; i < normal; i++) {
            hash = (hash << 1) + GEAR[buf[off + i] & 0xff];
            if ((hash & maskStrict) == 0) {
                return i + 1;
            }
        }
        for (; i < end; i++) {
            hash = (hash << 1) + GEAR[buf[off + i] & 0xff];
            if ((hash & maskLoose) == 0) {
                return i + 1;
            }
        }
        return end;
    }

    private static long topBits(int n) {
        return n <= 0 ? 0 : -1L << (64 - n);
    }

    /** 256 fixed pseudo-random values (SplitMix64 from a fixed seed): part of the chunk format. */
    private static long[] gearTable() {
        long[] table = new long[256];
        long state = 0x636b70745f676561L; // "ckpt_gea"
        for (int i = 0; i < table.length; i++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            table[i] = z ^ (z >>> 31);
        }
        return table;
    }
}
