package io.ckpt.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamCutterTest {

    /** Cuts {@code stream} through a buffer of {@code bufferSize}, refilled as IngestSession does: {length, digest} per chunk. */
    private static List<String> cutThroughBuffer(byte[] stream, int bufferSize) {
        StreamCutter cutter = new StreamCutter(ChunkerParams.DEFAULT, bufferSize);
        byte[] buf = new byte[bufferSize];
        int bufLen = 0;
        int in = 0;
        List<String> out = new ArrayList<>();
        while (true) {
            int n = Math.min(stream.length - in, buf.length - bufLen);
            System.arraycopy(stream, in, buf, bufLen, n);
            in += n;
            bufLen += n;
            boolean end = in == stream.length;
            if (bufLen < buf.length && !end) {
                continue;
            }
            int cut = cutter.cut(buf, bufLen, end);
            for (int i = 0; i < cutter.count(); i++) {
                byte[] d = Arrays.copyOfRange(cutter.digests(), i * 32, i * 32 + 32);
                assertArrayEquals(ChunkDigest.compute(buf, cutter.offset(i), cutter.length(i)).toBytes(), d, "digest of chunk " + i);
                out.add(cutter.length(i) + ":" + ChunkDigest.of(d));
            }
            System.arraycopy(buf, cut, buf, 0, bufLen - cut);
            bufLen -= cut;
            if (end) {
                assertEquals(0, bufLen, "bytes left uncut at the end of the stream");
                return out;
            }
        }
    }

    @Test
    void cutsAStreamFedThroughASmallBufferExactlyAsTheWholeStream() {
        byte[] stream = new byte[3_000_000];
        new Random(14).nextBytes(stream);
        Arrays.fill(stream, 1_000_000, 1_400_000, (byte) 0); // a run: maximum-size chunks
        List<String> whole = new ArrayList<>();
        ContentDefinedChunker c = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        for (int pos = 0; pos < stream.length; ) {
            int n = c.nextCut(stream, pos, stream.length - pos);
            whole.add(n + ":" + ChunkDigest.compute(stream, pos, n));
            pos += n;
        }
        assertEquals(whole, cutThroughBuffer(stream, 256 * 1024));
        assertEquals(whole, cutThroughBuffer(stream, StreamChunks.BUFFER_SIZE));
    }
}
