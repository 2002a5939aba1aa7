package io.ckpt.bench.corpus;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ckpt.bench.chunking.MemoryImageCorpus;
import io.ckpt.bench.chunking.MemoryImageCorpus.Image;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * A series of checkpoints of one WPAR on disk, one directory each ({@code cp-1}, {@code cp-2},
 * ...) holding {@value #MEMORY} (a {@link MemoryImageCorpus} image) and {@value #ROOTFS} (a
 * {@link FileTreeCorpus} tree as tar), the way the agent captures a statefile beside its file
 * systems. {@value #MANIFEST} describes the series: its {@link Spec}, and per checkpoint the
 * sizes, SHA-256 of each file, and the bytes new against the checkpoint before with their LZ4 size.
 *
 * <p>Series are cached: {@link #prepare} reuses a directory whose manifest holds the same spec,
 * since writing the manifest is the last step of making one.
 */
public final class CheckpointSeries {
    public static final String MEMORY = "memory.img";
    public static final String ROOTFS = "rootfs.tar";
    static final String MANIFEST = "series.json";
    private static final int LZ4_BLOCK = 64 << 10;

    /**
     * What to make: {@code checkpoints} versions of a {@code memoryMiB} image and a
     * {@code tarMiB} tree; between versions a {@code pageChange} share of pages changes in
     * clusters of up to {@code maxCluster} pages, and every generation {@code g} with
     * {@code g % insertEvery == insertEvery - 1} inserts {@code insertPages} pages in the middle.
     */
    public record Spec(long seed, int memoryMiB, int tarMiB, int checkpoints, double pageChange, int maxCluster,
                       int insertPages, int insertEvery, FileTreeCorpus.Change fileChange) {
        public Spec {
            if (memoryMiB < 1 || memoryMiB > 1900 || tarMiB < 1 || tarMiB > 1900 || checkpoints < 1 || insertEvery < 1) {
                throw new IllegalArgumentException("memory and tar 1 to 1900 MiB, at least one checkpoint: " + this);
            }
        }

        /** 5 checkpoints of 256 MiB memory + 64 MiB tar, 5% of pages changed, 1 MiB inserted every third. */
        public static Spec defaults() {
            return new Spec(1, 256, 64, 5, 0.05, 16, 256, 3, new FileTreeCorpus.Change(0.01, 0.01, 0.01, 256 << 10));
        }

        /** 3 checkpoints of 16 MiB + 4 MiB: a smoke run. */
        public static Spec small() {
            return new Spec(1, 16, 4, 3, 0.05, 16, 16, 2, new FileTreeCorpus.Change(0.02, 0.02, 0.02, 32 << 10));
        }

        public Spec withSize(int memoryMiB, int tarMiB, int checkpoints) {
            return new Spec(seed, memoryMiB, tarMiB, checkpoints, pageChange, maxCluster, insertPages, insertEvery, fileChange);
        }

        String key() {
            return Integer.toHexString(toString().hashCode());
        }
    }

    /** One checkpoint on disk; {@code freshBytes}: bytes new against the one before (all for the first). */
    public record Checkpoint(int index, String dir, long memoryBytes, long tarBytes, String memorySha256,
                             String tarSha256, long freshBytes, long freshLz4Bytes, long lz4Bytes) {
        public long bytes() {
            return memoryBytes + tarBytes;
        }
    }

    public record Manifest(Spec spec, List<Checkpoint> checkpoints) {}

    private CheckpointSeries() {}

    /** The series for {@code spec} under {@code root}: the cached one, else a new one (logged). */
    public static Manifest prepare(Path root, Spec spec, PrintStream log) throws IOException {
        Path dir = root.resolve("ckpt-macro-corpus-" + spec.key());
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Path manifest = dir.resolve(MANIFEST);
        if (Files.exists(manifest)) {
            Manifest m = json.readValue(manifest.toFile(), Manifest.class);
            if (m.spec().equals(spec)) {
                log.println("corpus: reusing " + dir);
                return m;
            }
        }
        Files.createDirectories(dir);
        MemoryImageCorpus memory = new MemoryImageCorpus(spec.seed());
        FileTreeCorpus files = new FileTreeCorpus(spec.seed());
        List<Checkpoint> out = new ArrayList<>();
        Image image = null;
        FileTreeCorpus.Tree tree = null;
        for (int i = 1; i <= spec.checkpoints(); i++) {
            long started = System.nanoTime();
            if (image == null) {
                image = memory.first(spec.memoryMiB() * 256);
                tree = files.first((long) spec.tarMiB() << 20);
            } else {
                int generation = i - 1;
                int insert = generation % spec.insertEvery() == spec.insertEvery() - 1 ? spec.insertPages() : 0;
                image = memory.next(image, generation, new MemoryImageCorpus.Change(spec.pageChange(), spec.maxCluster(), insert));
                tree = files.next(tree, generation, spec.fileChange());
            }
            Path cp = dir.resolve("cp-" + i);
            Files.createDirectories(cp);
            final byte[] memoryBytes = image.bytes();
            final FileTreeCorpus.Tree t = tree;
            String memorySha = write(cp.resolve(MEMORY), o -> o.write(memoryBytes));
            String tarSha = write(cp.resolve(ROOTFS), o -> TarWriter.write(t, o));
            long tarBytes = Files.size(cp.resolve(ROOTFS));
            long fresh = (long) image.fresh().cardinality() * MemoryImageCorpus.PAGE
                    + tree.fresh().stream().mapToLong(b -> b.length).sum();
            long freshLz4 = freshPagesLz4(image) + tree.fresh().stream().mapToLong(CheckpointSeries::lz4).sum();
            long lz4 = lz4(image.bytes()) + lz4(Files.readAllBytes(cp.resolve(ROOTFS)));
            out.add(new Checkpoint(i, cp.getFileName().toString(), image.bytes().length, tarBytes, memorySha, tarSha,
                    fresh, freshLz4, lz4));
            log.printf("corpus: cp-%d: %d + %d bytes, %.2f%% new (LZ4 %.2f%% of the checkpoint), %.1f s%n", i,
                    image.bytes().length, tarBytes, 100.0 * fresh / (image.bytes().length + tarBytes),
                    100.0 * freshLz4 / (image.bytes().length + tarBytes), (System.nanoTime() - started) / 1e9);
        }
        Manifest m = new Manifest(spec, out);
        Path tmp = dir.resolve(MANIFEST + ".tmp");
        json.writeValue(tmp.toFile(), m);
        Files.move(tmp, manifest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return m;
    }

    /** The directory of a checkpoint of a prepared series. */
    public static Path dir(Path root, Manifest m, Checkpoint c) {
        return root.resolve("ckpt-macro-corpus-" + m.spec().key()).resolve(c.dir());
    }

    private interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private static String write(Path file, Body body) throws IOException {
        MessageDigest sha = sha256();
        try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20), sha)) {
            body.writeTo(out);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** LZ4 size of the fresh pages, compressed in runs of consecutive pages of up to 64 KiB. */
    private static long freshPagesLz4(Image image) {
        BitSet fresh = image.fresh();
        LZ4Compressor lz4 = LZ4Factory.fastestInstance().fastCompressor();
        byte[] dest = new byte[lz4.maxCompressedLength(LZ4_BLOCK)];
        long total = 0;
        int pagesPerBlock = LZ4_BLOCK / MemoryImageCorpus.PAGE;
        for (int p = fresh.nextSetBit(0); p >= 0; ) {
            int end = p;
            while (end < p + pagesPerBlock && fresh.get(end)) {
                end++;
            }
            int len = (end - p) * MemoryImageCorpus.PAGE;
            total += Math.min(len, lz4.compress(image.bytes(), p * MemoryImageCorpus.PAGE, len, dest, 0, dest.length));
            p = fresh.nextSetBit(end);
        }
        return total;
    }

    /** LZ4 size in 64 KiB blocks, a block kept raw where LZ4 does not make it smaller. */
    static long lz4(byte[] b) {
        LZ4Compressor lz4 = LZ4Factory.fastestInstance().fastCompressor();
        byte[] dest = new byte[lz4.maxCompressedLength(LZ4_BLOCK)];
        long total = 0;
        for (int off = 0; off < b.length; off += LZ4_BLOCK) {
            int len = Math.min(LZ4_BLOCK, b.length - off);
            total += Math.min(len, lz4.compress(b, off, len, dest, 0, dest.length));
        }
        return total;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
