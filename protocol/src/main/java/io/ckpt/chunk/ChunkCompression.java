package io.ckpt.chunk;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * The one rule for how a chunk travels and is stored: compress it with LZ4 and keep the LZ4 block
 * only if it saves at least 1/16 of the raw length (and is strictly shorter, which the frame
 * decoder demands of an LZ4 CHUNK_DATA payload); otherwise the chunk stays raw.
 *
 * <p>The server's stream ingest (pack records) and the agent's delta sender (CHUNK_DATA frames)
 * both decide through this class, so a chunk is compressed the same way whichever side cut it.
 * The decision changes no digest: a chunk is named by the SHA-256 of its raw bytes.
 *
 * <p>Not thread-safe (one LZ4 compressor per instance): one instance per session or per thread.
 */
public final class ChunkCompression {
    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();

    private final LZ4Compressor lz4 = LZ4.fastCompressor();

    /** Whether an LZ4 block of {@code compressedLength} bytes is worth keeping for {@code rawLength} raw bytes. */
    public static boolean worthKeeping(int rawLength, int compressedLength) {
        return compressedLength < rawLength && compressedLength <= rawLength - (rawLength >> 4);
    }

    /** The size {@code dst} must have to take the compression of {@code rawLength} bytes. */
    public int maxCompressedLength(int rawLength) {
        return lz4.maxCompressedLength(rawLength);
    }

    /**
     * Compresses {@code src[off, off + len)} into {@code dst} from index 0, and returns the
     * compressed length when {@link #worthKeeping} says to keep it, or -1 when the chunk should go
     * raw (then {@code dst} holds nothing of use). {@code dst} must hold
     * {@link #maxCompressedLength}{@code (len)} bytes.
     */
    public int compress(byte[] src, int off, int len, byte[] dst) {
        int clen = lz4.compress(src, off, len, dst, 0, dst.length);
        return worthKeeping(len, clen) ? clen : -1;
    }
}
