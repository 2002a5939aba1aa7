package io.ckpt.store;

import static io.ckpt.store.PackFormat.*;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Chunk records laid out back to back, ready to be appended to a pack with one write. Owned by
 * one ingest session and reused for every batch, so the hot path allocates nothing per chunk.
 */
public final class RecordBatch {
    private final ByteBuffer buf;
    private final CRC32C crc = new CRC32C();
    private int[] offsets = new int[256];
    private int count;

    public RecordBatch(int capacity) {
        this.buf = ByteBuffer.allocate(capacity); // heap: freed by GC like the rest of a session
    }

    /** Whether a record of {@code storedLength} bytes still fits. */
    public boolean fits(int storedLength) {
        return buf.remaining() >= RECORD_HEADER_LENGTH + storedLength;
    }

    /** Adds a record and returns its offset relative to the start of the batch. */
    public int add(byte[] digest, int digestOff, int codec, int rawLength, byte[] data, int off, int storedLength) {
        if (!fits(storedLength)) {
            throw new IllegalStateException("record of " + storedLength + " bytes does not fit the batch");
        }
        int start = buf.position();
        buf.put(RECORD_TAG);
        buf.put(digest, digestOff, 32);
        buf.put((byte) codec);
        buf.putInt(rawLength);
        buf.putInt(storedLength);
        crc.reset();
        crc.update(buf.duplicate().position(start).limit(start + 42));
        crc.update(data, off, storedLength);
        buf.putInt((int) crc.getValue());
        buf.put(data, off, storedLength);
        if (count == offsets.length) {
            offsets = java.util.Arrays.copyOf(offsets, count * 2);
        }
        offsets[count++] = start;
        return start;
    }

    public int count() {
        return count;
    }

    public int offset(int i) {
        return offsets[i];
    }

    public int bytes() {
        return buf.position();
    }

    /** The records written so far, as a read-only view for one write. */
    ByteBuffer contents() {
        return buf.duplicate().flip();
    }

    public void clear() {
        buf.clear();
        count = 0;
    }
}
