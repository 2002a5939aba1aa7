package io.ckpt.agent.upload;

import java.util.Arrays;

/**
 * A set of SHA-256 digests in one flat array (open addressing, linear probing): 32 bytes a slot and
 * no object per entry, where a {@code HashSet<ByteBuffer>} takes about 150 bytes an entry. It grows
 * by doubling while at most half full, up to {@code maxEntries}; past that, {@link #add} refuses.
 * Digests are uniformly distributed, so their first bytes serve as the hash.
 */
final class DigestSet {
    private static final int DIGEST = 32;
    private static final int INITIAL_SLOTS = 1 << 12;

    private final int maxEntries;
    private byte[] table;
    private long[] used;
    private int mask;
    private int size;

    /** @param maxEntries most digests held; a power of two */
    DigestSet(int maxEntries) {
        if (Integer.bitCount(maxEntries) != 1) {
            throw new IllegalArgumentException("maxEntries must be a power of two: " + maxEntries);
        }
        this.maxEntries = maxEntries;
        allocate(Math.min(INITIAL_SLOTS, 2 * maxEntries));
    }

    int size() {
        return size;
    }

    boolean isFull() {
        return size >= maxEntries;
    }

    /** Whether the 32 bytes at {@code off} of {@code a} are in the set. */
    boolean contains(byte[] a, int off) {
        for (int i = slot(a, off); ; i = (i + 1) & mask) {
            if (!isUsed(i)) {
                return false;
            }
            if (Arrays.equals(table, i * DIGEST, i * DIGEST + DIGEST, a, off, off + DIGEST)) {
                return true;
            }
        }
    }

    /** Adds the 32 bytes at {@code off} of {@code a}; false when already there or the set is full. */
    boolean add(byte[] a, int off) {
        if (contains(a, off) || isFull()) {
            return false;
        }
        if (2 * (size + 1) > mask + 1) {
            grow();
        }
        put(a, off);
        size++;
        return true;
    }

    private void put(byte[] a, int off) {
        int i = slot(a, off);
        while (isUsed(i)) {
            i = (i + 1) & mask;
        }
        System.arraycopy(a, off, table, i * DIGEST, DIGEST);
        used[i >>> 6] |= 1L << i;
    }

    private void grow() {
        byte[] oldTable = table;
        long[] oldUsed = used;
        allocate(2 * (mask + 1));
        for (int i = 0; i < oldUsed.length * 64; i++) {
            if ((oldUsed[i >>> 6] & (1L << i)) != 0) {
                put(oldTable, i * DIGEST);
            }
        }
    }

    private void allocate(int slots) {
        table = new byte[slots * DIGEST];
        used = new long[Math.max(1, slots / 64)];
        mask = slots - 1;
    }

    private boolean isUsed(int i) {
        return (used[i >>> 6] & (1L << i)) != 0;
    }

    private int slot(byte[] a, int off) {
        int h = (a[off] & 0xff) << 24 | (a[off + 1] & 0xff) << 16 | (a[off + 2] & 0xff) << 8 | (a[off + 3] & 0xff);
        return h & mask;
    }
}
