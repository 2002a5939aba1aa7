package io.ckpt.chunk;

import java.util.Arrays;

/**
 * The chunks of a part's previous version, in order: what {@link PredictiveChunker} predicts
 * from. Lengths and SHA-256 digests in flat arrays, with an open-addressing index from digest to
 * the first chunk that has it; no object per chunk.
 */
public final class PreviousChunks {
    public static final PreviousChunks NONE = new PreviousChunks(new int[0], new byte[0], 0);

    private static final int DIGEST = 32;
    private final int[] lengths;
    private final byte[] digests;
    private final int size;
    private final int[] table; // index + 1 of the first chunk with a digest, 0 for empty
    private final int mask;

    private PreviousChunks(int[] lengths, byte[] digests, int size) {
        this.lengths = lengths;
        this.digests = digests;
        this.size = size;
        int capacity = Integer.highestOneBit(Math.max(4, size * 2 - 1)) << 1;
        this.table = new int[capacity];
        this.mask = capacity - 1;
        for (int i = 0; i < size; i++) {
            int slot = slot(digests, i * DIGEST);
            while (table[slot] != 0) {
                if (same(table[slot] - 1, digests, i * DIGEST)) {
                    break;
                }
                slot = (slot + 1) & mask;
            }
            if (table[slot] == 0) {
                table[slot] = i + 1;
            }
        }
    }

    /** Builds the list incrementally, as a chunk list arrives in pages. */
    public static final class Builder {
        private int[] lengths = new int[256];
        private byte[] digests = new byte[256 * DIGEST];
        private int size;

        public Builder add(int length, byte[] digest, int digestOff) {
            if (length <= 0) {
                throw new IllegalArgumentException("chunk " + size + " of the previous version has length " + length);
            }
            if (size == lengths.length) {
                lengths = Arrays.copyOf(lengths, size * 2);
                digests = Arrays.copyOf(digests, size * 2 * DIGEST);
            }
            lengths[size] = length;
            System.arraycopy(digest, digestOff, digests, size * DIGEST, DIGEST);
            size++;
            return this;
        }

        public PreviousChunks build() {
            return size == 0 ? NONE : new PreviousChunks(lengths, digests, size);
        }
    }

    public int size() {
        return size;
    }

    public int length(int i) {
        return lengths[i];
    }

    /** Whether chunk {@code i} has the digest at {@code d[off .. off + 32)}. */
    public boolean matches(int i, byte[] d, int off) {
        return same(i, d, off);
    }

    /** The first chunk with the digest at {@code d[off .. off + 32)}, or -1. */
    public int indexOf(byte[] d, int off) {
        if (size == 0) {
            return -1;
        }
        int slot = slot(d, off);
        while (table[slot] != 0) {
            int i = table[slot] - 1;
            if (same(i, d, off)) {
                return i;
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    private boolean same(int i, byte[] d, int off) {
        return Arrays.equals(digests, i * DIGEST, i * DIGEST + DIGEST, d, off, off + DIGEST);
    }

    private int slot(byte[] d, int off) {
        int h = (d[off] & 0xff) | (d[off + 1] & 0xff) << 8 | (d[off + 2] & 0xff) << 16 | (d[off + 3] & 0xff) << 24;
        return h & mask;
    }
}
