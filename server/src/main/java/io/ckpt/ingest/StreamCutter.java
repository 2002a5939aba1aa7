package io.ckpt.ingest;

import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import java.security.DigestException;
import java.security.MessageDigest;

/**
 * Cuts a buffer of stream-mode bytes into content-defined chunks and names each by its SHA-256:
 * bytes in, chunks with digests out, no I/O and no catalog. {@link IngestSession} fills its buffer,
 * asks for a {@link #cut}, stores the chunks, and keeps the uncut rest for the next fill.
 *
 * <p>Cut points match those of the whole stream: unless the stream ends, a cut stops while a full
 * maximum-size chunk still remains, so no chunk is ended early by the buffer's edge.
 *
 * <p>Not thread-safe; the chunks of a cut are valid until the next one.
 */
final class StreamCutter {
    private final ContentDefinedChunker chunker;
    private final MessageDigest sha = ChunkDigest.sha256();
    private final byte[] digests;
    private final int[] offsets;
    private final int[] lengths;
    private int count;

    /** For buffers of up to {@code bufferSize} bytes. */
    StreamCutter(ChunkerParams params, int bufferSize) {
        this.chunker = new ContentDefinedChunker(params);
        int max = bufferSize / params.minSize() + 1;
        this.digests = new byte[max * ChunkDigest.LENGTH];
        this.offsets = new int[max];
        this.lengths = new int[max];
    }

    /**
     * Cuts the chunks of {@code buf[0, length)} whose end is certain: every one while at least a
     * maximum chunk remains after it, or all of them when {@code endOfStream} (the last may be
     * short). Returns how many bytes were cut, from 0.
     */
    int cut(byte[] buf, int length, boolean endOfStream) {
        count = 0;
        int pos = 0;
        int max = chunker.maxSize();
        while (length - pos >= max || (endOfStream && pos < length)) {
            int n = chunker.nextCut(buf, pos, length - pos);
            sha.update(buf, pos, n);
            try {
                sha.digest(digests, count * ChunkDigest.LENGTH, ChunkDigest.LENGTH);
            } catch (DigestException e) {
                throw new AssertionError(e);
            }
            offsets[count] = pos;
            lengths[count] = n;
            count++;
            pos += n;
        }
        return pos;
    }

    /** How many chunks the last cut gave. */
    int count() {
        return count;
    }

    /** Where chunk {@code i} of the last cut starts in the buffer. */
    int offset(int i) {
        return offsets[i];
    }

    int length(int i) {
        return lengths[i];
    }

    /** The digests of the last cut's chunks, 32 bytes each, chunk {@code i} at {@code 32 * i}. */
    byte[] digests() {
        return digests;
    }
}
