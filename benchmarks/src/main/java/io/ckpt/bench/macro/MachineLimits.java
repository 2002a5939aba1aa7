package io.ckpt.bench.macro;

import io.ckpt.bench.chunking.MemoryImageCorpus;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * What this machine can do at most, measured in the same run as the tools: each stage of the
 * transfer path over a 64 MiB memory image held in memory (FastCDC chunks at
 * {@link ChunkerParams#DEFAULT}), on every core at once, and sequential writes with fsync.
 * Figures in MB/s (10^6 bytes).
 */
final class MachineLimits {
    private static final int IMAGE_PAGES = 16_384; // 64 MiB

    private final byte[] data;
    private final int[] offsets;
    private final int[] lengths;
    private final byte[][] compressed;
    private final int threads;
    private final long warmNanos;
    private final long measureNanos;

    private MachineLimits(int threads, double seconds) {
        this.threads = threads;
        this.warmNanos = (long) (seconds * 0.5e9);
        this.measureNanos = (long) (seconds * 1e9);
        data = new MemoryImageCorpus(1).first(IMAGE_PAGES).bytes();
        ContentDefinedChunker chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        int[] o = new int[data.length / ChunkerParams.DEFAULT.minSize() + 1];
        int[] l = new int[o.length];
        int n = 0;
        for (int off = 0; off < data.length; n++) {
            o[n] = off;
            l[n] = chunker.nextCut(data, off, data.length - off);
            off += l[n];
        }
        offsets = Arrays.copyOf(o, n);
        lengths = Arrays.copyOf(l, n);
        LZ4Compressor lz4 = LZ4Factory.fastestInstance().fastCompressor();
        compressed = new byte[n][];
        for (int i = 0; i < n; i++) {
            byte[] dest = new byte[lz4.maxCompressedLength(lengths[i])];
            compressed[i] = Arrays.copyOf(dest, lz4.compress(data, offsets[i], lengths[i], dest, 0, dest.length));
        }
    }

    /** Every limit, by name, in MB/s; {@code seconds} measured per figure (after half as long warming up). */
    static Map<String, Double> measure(Path scratch, double seconds) throws IOException {
        int threads = Runtime.getRuntime().availableProcessors();
        MachineLimits m = new MachineLimits(threads, seconds);
        m.warmUp();
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("threads", (double) threads);
        out.put("sha256", m.run(Stage.SHA256));
        out.put("lz4_compress", m.run(Stage.LZ4));
        out.put("lz4_decompress", m.run(Stage.UNLZ4));
        out.put("fastcdc", m.run(Stage.CHUNK));
        out.put("pipeline_cold", m.run(Stage.COLD));
        out.put("pipeline_chunk_sha256", m.run(Stage.CHUNK_SHA));
        out.put("pipeline_restore", m.run(Stage.RESTORE));
        out.put("write_fsync", writeFsync(scratch));
        return out;
    }

    /**
     * SHA-256 and LZ4 per chunk; FastCDC over the image; COLD: chunk, SHA-256, LZ4 (what cold ingest
     * must do); CHUNK_SHA: chunk and SHA-256 (what a stream-mode incremental must do); RESTORE: LZ4
     * decompress and SHA-256 verify.
     */
    private enum Stage { SHA256, LZ4, UNLZ4, CHUNK, COLD, CHUNK_SHA, RESTORE }

    /**
     * Runs every stage over the whole image once on this thread, untimed, so that class loading
     * and the first JIT compilations fall on no measurement (a short --limit-seconds would
     * otherwise charge them to the first stage).
     */
    private void warmUp() {
        Worker w = new Worker();
        for (Stage stage : Stage.values()) {
            for (int i = 0; i < offsets.length; i++) {
                w.process(stage, i);
            }
        }
    }

    private double run(Stage stage) {
        AtomicLong bytes = new AtomicLong();
        long start = System.nanoTime();
        long countFrom = start + warmNanos;
        long end = countFrom + measureNanos;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t * offsets.length / threads; // threads start at different chunks
            Thread w = new Thread(() -> {
                Worker worker = new Worker();
                long counted = 0;
                boolean counting = false;
                for (int i = first, k = 0; ; i = (i + 1) % offsets.length, k++) {
                    if ((k & 63) == 0) { // about every 0.5 MiB: look at the clock
                        long now = System.nanoTime();
                        if (now >= end) {
                            break;
                        }
                        counting = now >= countFrom;
                    }
                    int n = worker.process(stage, i);
                    if (counting) {
                        counted += n;
                    }
                }
                bytes.addAndGet(counted);
            }, "limit-" + stage + "-" + t);
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted measuring " + stage, e);
            }
        }
        return bytes.get() / (measureNanos / 1e9) / 1e6;
    }

    private final class Worker {
        final MessageDigest sha;
        final LZ4Compressor lz4 = LZ4Factory.fastestInstance().fastCompressor();
        final LZ4SafeDecompressor unlz4 = LZ4Factory.fastestInstance().safeDecompressor();
        final ContentDefinedChunker chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        final byte[] dest = new byte[lz4.maxCompressedLength(ChunkerParams.DEFAULT.maxSize())];

        Worker() {
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Does one chunk's work for {@code stage}; returns its uncompressed length. */
        int process(Stage stage, int i) {
            int off = offsets[i];
            int len = lengths[i];
            switch (stage) {
                case SHA256 -> sha.update(data, off, len);
                case LZ4 -> lz4.compress(data, off, len, dest, 0, dest.length);
                case UNLZ4 -> unlz4.decompress(compressed[i], 0, compressed[i].length, dest, 0, dest.length);
                case CHUNK -> len = chunker.nextCut(data, off, data.length - off);
                case COLD, CHUNK_SHA -> {
                    len = chunker.nextCut(data, off, data.length - off);
                    sha.update(data, off, len);
                    sha.digest();
                    if (stage == Stage.COLD) {
                        lz4.compress(data, off, len, dest, 0, dest.length);
                    }
                }
                case RESTORE -> {
                    int n = unlz4.decompress(compressed[i], 0, compressed[i].length, dest, 0, dest.length);
                    sha.update(dest, 0, n);
                    sha.digest();
                }
            }
            if (stage == Stage.SHA256) {
                sha.digest();
            }
            return len;
        }
    }

    /** Median of three 256 MiB sequential writes in 1 MiB blocks, each ended by fdatasync, in MB/s. */
    private static double writeFsync(Path scratch) throws IOException {
        Files.createDirectories(scratch);
        Path file = scratch.resolve("write-fsync.tmp");
        ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);
        while (block.hasRemaining()) {
            block.putLong(block.position() * 0x9E3779B97F4A7C15L);
        }
        double[] rates = new double[3];
        try {
            for (int r = 0; r < rates.length; r++) {
                long start = System.nanoTime();
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    for (int i = 0; i < 256; i++) {
                        block.clear();
                        while (block.hasRemaining()) {
                            ch.write(block);
                        }
                    }
                    ch.force(false);
                }
                rates[r] = (256L << 20) / ((System.nanoTime() - start) / 1e9) / 1e6;
            }
        } finally {
            Files.deleteIfExists(file);
        }
        Arrays.sort(rates);
        return rates[1];
    }
}
