package io.ckpt.store;

import io.ckpt.chunk.ChunkDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * A chunk as the store tests put it into a pack: its uncompressed bytes, its name, its codec and
 * the payload the record carries. Shared by the tests of the writer, the store, the scanner and
 * the reader so that they all build records the way ingest does.
 */
record ChunkRecord(byte[] raw, byte[] digest, int codec, byte[] stored) {
    private static final LZ4Compressor LZ4 = LZ4Factory.fastestInstance().fastCompressor();

    static ChunkRecord plain(byte[] raw) {
        return new ChunkRecord(raw, ChunkDigest.compute(raw, 0, raw.length).toBytes(), PackFormat.CODEC_NONE, raw);
    }

    static ChunkRecord lz4(byte[] raw) {
        return lz4(raw, LZ4);
    }

    static ChunkRecord lz4(byte[] raw, LZ4Compressor compressor) {
        byte[] out = new byte[compressor.maxCompressedLength(raw.length)];
        int n = compressor.compress(raw, 0, raw.length, out, 0, out.length);
        byte[] stored = java.util.Arrays.copyOf(out, n);
        return new ChunkRecord(raw, ChunkDigest.compute(raw, 0, raw.length).toBytes(), PackFormat.CODEC_LZ4, stored);
    }

    /** Adds this record to {@code batch} and returns its offset within the batch. */
    int addTo(RecordBatch batch) {
        return batch.add(digest, 0, codec, raw.length, stored, 0, stored.length);
    }

    int recordLength() {
        return PackFormat.RECORD_HEADER_LENGTH + stored.length;
    }

    /** Reads this chunk back from {@code packId} at {@code offset}, proving it on the way. */
    byte[] readBack(ChunkReader reader, long packId, long offset) throws IOException {
        byte[] out = new byte[raw.length];
        reader.read(digest, 0, packId, offset, stored.length, raw.length, out, 0);
        return out;
    }

    /** Incompressible bytes. */
    static byte[] noise(long seed, int n) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    /** Bytes LZ4 shrinks well: words from a small vocabulary. */
    static byte[] text(long seed, int n) {
        String[] words = {"checkpoint ", "wpar ", "memory ", "page ", "heap ", "stack ", "0000 ", "ffff "};
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        int i = 0;
        while (i < n) {
            byte[] w = words[r.nextInt(words.length)].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            int len = Math.min(w.length, n - i);
            System.arraycopy(w, 0, b, i, len);
            i += len;
        }
        return b;
    }

    /** Overwrites one byte of {@code file} at {@code position} with its complement. */
    static void flipByte(Path file, long position) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, position);
            one.put(0, (byte) ~one.get(0)).rewind();
            ch.write(one, position);
        }
    }
}
