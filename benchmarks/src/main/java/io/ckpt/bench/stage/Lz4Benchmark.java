package io.ckpt.bench.stage;

import io.ckpt.bench.BenchmarkBase;
import io.ckpt.bench.ByteCounter;
import java.util.Locale;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FastDecompressor;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * LZ4 block compression of every chunk of an image, as ingest compresses chunks (fast compressor,
 * one output buffer reused), and decompression of those blocks, as a restore's chunk reader does.
 * {@code impl=fastest} is {@code LZ4Factory.fastestInstance()}, as the server uses it;
 * {@code -p impl=safe} measures the pure-Java build.
 *
 * <p>{@code decompress} uses {@code fastDecompressor()}, as {@code ChunkReader} does;
 * {@code safeDecompress} uses {@code safeDecompressor()}. In lz4-java 1.14 the fastest factory's
 * fast decompressor is a pure-Java class and only the safe one is JNI: setup prints the classes.
 * MBps: uncompressed bytes, in for compress and out for decompress. Setup prints the ratio.
 */
@State(Scope.Thread)
public class Lz4Benchmark extends BenchmarkBase {
    @Param("16")
    int imageMiB;

    @Param("fastest")
    String impl;

    private ImageChunks chunks;
    private LZ4Compressor compressor;
    private LZ4FastDecompressor decompressor;
    private LZ4SafeDecompressor safeDecompressor;
    private byte[] out;
    /** Every chunk compressed, back to back, for the decompression benchmark. */
    private byte[] blocks;
    private int[] blockOffsets;
    private byte[] restored;

    @Setup
    public void setUp() {
        LZ4Factory factory = switch (impl) {
            case "fastest" -> LZ4Factory.fastestInstance();
            case "safe" -> LZ4Factory.safeInstance();
            default -> throw new IllegalArgumentException("impl must be fastest or safe: " + impl);
        };
        compressor = factory.fastCompressor();
        decompressor = factory.fastDecompressor();
        safeDecompressor = factory.safeDecompressor();
        chunks = ImageChunks.of(imageMiB);
        int maxChunk = 0;
        for (int len : chunks.lengths()) {
            maxChunk = Math.max(maxChunk, len);
        }
        out = new byte[compressor.maxCompressedLength(maxChunk)];
        blocks = new byte[compressor.maxCompressedLength(chunks.bytes().length) + chunks.count() * 16];
        blockOffsets = new int[chunks.count() + 1];
        long keptLz4 = 0;
        long storedIfLz4Kept = 0;
        for (int i = 0; i < chunks.count(); i++) {
            int len = chunks.lengths()[i];
            int n = compressor.compress(chunks.bytes(), chunks.offsets()[i], len, blocks, blockOffsets[i]);
            blockOffsets[i + 1] = blockOffsets[i] + n;
            boolean kept = n <= len - (len >> 4); // the ingest rule: LZ4 only when it saves 1/16
            keptLz4 += kept ? 1 : 0;
            storedIfLz4Kept += kept ? n : len;
        }
        restored = new byte[chunks.bytes().length];
        System.out.printf(Locale.ROOT, "%n# %s: %d chunks, LZ4 output %.1f%% of input; ingest keeps LZ4 for %.1f%% of"
                + " chunks and stores %.1f%% of the image; %s, %s, %s%n", impl, chunks.count(),
                100.0 * blockOffsets[chunks.count()] / chunks.bytes().length, 100.0 * keptLz4 / chunks.count(),
                100.0 * storedIfLz4Kept / chunks.bytes().length, compressor.getClass().getSimpleName(),
                decompressor.getClass().getSimpleName(), safeDecompressor.getClass().getSimpleName());
    }

    /** Returns the compressed size, so that the work is not optimized away. */
    @Benchmark
    public long compress(ByteCounter counter) {
        byte[] image = chunks.bytes();
        long total = 0;
        for (int i = 0; i < chunks.count(); i++) {
            total += compressor.compress(image, chunks.offsets()[i], chunks.lengths()[i], out, 0, out.length);
        }
        counter.MBps += image.length / 1e6;
        return total;
    }

    /** Returns the compressed bytes consumed. */
    @Benchmark
    public long decompress(ByteCounter counter) {
        long used = 0;
        for (int i = 0; i < chunks.count(); i++) {
            used += decompressor.decompress(blocks, blockOffsets[i], restored, chunks.offsets()[i], chunks.lengths()[i]);
        }
        counter.MBps += restored.length / 1e6;
        return used;
    }

    /** Returns the bytes decompressed. */
    @Benchmark
    public long safeDecompress(ByteCounter counter) {
        long out = 0;
        for (int i = 0; i < chunks.count(); i++) {
            out += safeDecompressor.decompress(blocks, blockOffsets[i], blockOffsets[i + 1] - blockOffsets[i], restored,
                    chunks.offsets()[i], chunks.lengths()[i]);
        }
        counter.MBps += restored.length / 1e6;
        return out;
    }
}
