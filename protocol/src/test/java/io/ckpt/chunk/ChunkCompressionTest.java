package io.ckpt.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

class ChunkCompressionTest {

    @Test
    void keepsLz4OnlyWhenItSavesAtLeastOneSixteenth() {
        // 4096 raw bytes: 1/16 is 256, so 3840 is the longest block kept.
        assertTrue(ChunkCompression.worthKeeping(4096, 3840));
        assertFalse(ChunkCompression.worthKeeping(4096, 3841));
        assertFalse(ChunkCompression.worthKeeping(4096, 4096));
        assertFalse(ChunkCompression.worthKeeping(4096, 4113));
        assertTrue(ChunkCompression.worthKeeping(4096, 1));
    }

    @Test
    void tinyChunkKeepsLz4OnlyWhenStrictlyShorter() {
        // Under 16 bytes 1/16 rounds to 0; the frame decoder still demands payload < raw for LZ4.
        assertFalse(ChunkCompression.worthKeeping(15, 15));
        assertTrue(ChunkCompression.worthKeeping(15, 14));
        assertFalse(ChunkCompression.worthKeeping(1, 1));
    }

    @Test
    void compressibleChunkComesBackAsAnLz4BlockThatDecompressesToIt() {
        byte[] src = new byte[70_000];
        Arrays.fill(src, 1000, 60_000, (byte) 7); // mostly a run: compresses far below 15/16
        byte[] noise = new byte[1000];
        new Random(14).nextBytes(noise);
        System.arraycopy(noise, 0, src, 0, noise.length);
        ChunkCompression c = new ChunkCompression();
        int off = 500;
        int len = 65_536;
        byte[] dst = new byte[c.maxCompressedLength(len)];
        int clen = c.compress(src, off, len, dst);
        assertTrue(clen > 0 && clen <= len - len / 16, "compressed length " + clen);
        byte[] back = LZ4Factory.fastestInstance().safeDecompressor().decompress(dst, 0, clen, len);
        assertArrayEquals(Arrays.copyOfRange(src, off, off + len), back);
    }

    @Test
    void randomChunkStaysRaw() {
        byte[] src = new byte[8192];
        new Random(14).nextBytes(src);
        ChunkCompression c = new ChunkCompression();
        assertEquals(-1, c.compress(src, 0, src.length, new byte[c.maxCompressedLength(src.length)]));
    }
}
