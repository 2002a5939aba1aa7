package io.ckpt.bench.stage;

import io.ckpt.bench.BenchmarkBase;
import io.ckpt.bench.ByteCounter;
import io.ckpt.bench.ScratchDir;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.store.Datastore;
import io.ckpt.store.PackFormat;
import io.ckpt.store.PackLedger;
import io.ckpt.store.PackStore;
import io.ckpt.store.RecordBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Pack appends through {@link PackStore} (which drives the package-private PackWriter): a 2 MiB
 * {@link RecordBatch} of real records (chunks of the image, LZ4 where ingest would use it) is
 * appended {@code batchesPerFsync} times, then the open pack is fsynced ({@code sync()}, an
 * fdatasync). Packs rotate at 256 MiB (the server's default), sealing with a footer and a full
 * fsync. {@code batchesPerFsync=1} is the worst case; ingest fsyncs once per checkpoint, at
 * commit, so a 64 MiB image is about {@code batchesPerFsync=32}.
 *
 * <p>Writes under {@code $CKPT_BENCH_DIR} (else the temp directory): run it on the disk that
 * matters. Packs are deleted after every iteration. MBps: pack bytes written (records with their
 * 46-byte headers); setup prints how many image bytes a batch holds.
 */
@State(Scope.Thread)
public class PackAppendBenchmark extends BenchmarkBase {
    static final int BATCH_BYTES = 2 * 1024 * 1024; // as StreamChunks.BATCH_BYTES
    static final long PACK_TARGET = 256L << 20;      // the server's --pack-size default

    @Param({"1", "32"})
    int batchesPerFsync;

    private ScratchDir dir;
    private Datastore ds;
    private PackStore packs;
    private RecordBatch batch;
    private final PackLedger ledger = new PackLedger() {
        private long next = 1;

        @Override
        public long createPack() {
            return next++;
        }

        @Override
        public void sealPack(long id, long size) {
            // nothing to record: the benchmark has no catalog
        }
    };

    @Setup
    public void setUp() throws IOException {
        dir = ScratchDir.create("ckpt-bench-pack-");
        ds = Datastore.openOrCreate(dir.path().resolve("datastore"));
        packs = new PackStore(ds, ledger, PACK_TARGET);
        ImageChunks chunks = ImageChunks.of(16);
        LZ4Compressor lz4 = LZ4Factory.fastestInstance().fastCompressor();
        byte[] compressed = new byte[lz4.maxCompressedLength(64 * 1024)];
        batch = new RecordBatch(BATCH_BYTES + PackFormat.RECORD_HEADER_LENGTH + compressed.length);
        long raw = 0;
        for (int i = 0; i < chunks.count() && batch.bytes() < BATCH_BYTES; i++) {
            int off = chunks.offsets()[i];
            int len = chunks.lengths()[i];
            byte[] digest = ChunkDigest.compute(chunks.bytes(), off, len).toBytes();
            int clen = lz4.compress(chunks.bytes(), off, len, compressed, 0, compressed.length);
            boolean useLz4 = clen <= len - (len >> 4);
            batch.add(digest, 0, useLz4 ? PackFormat.CODEC_LZ4 : PackFormat.CODEC_NONE, len,
                    useLz4 ? compressed : chunks.bytes(), useLz4 ? 0 : off, useLz4 ? clen : len);
            raw += len;
        }
        System.out.printf(Locale.ROOT, "%n# batch: %d records, %d bytes holding %d image bytes; packs in %s%n",
                batch.count(), batch.bytes(), raw, dir.path());
    }

    @TearDown(Level.Iteration)
    public void dropPacks() throws IOException {
        packs.close();
        Path packDir = ds.root().resolve("packs");
        try (Stream<Path> walk = Files.walk(packDir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(packDir)) {
                    Files.delete(p);
                }
            }
        }
        packs = new PackStore(ds, ledger, PACK_TARGET);
    }

    @TearDown
    public void tearDown() throws IOException {
        packs.close();
        dir.close();
    }

    /** Returns the offset of the last batch, so that the appends are not optimized away. */
    @Benchmark
    public long appendAndFsync(ByteCounter counter) throws IOException {
        long last = 0;
        for (int i = 0; i < batchesPerFsync; i++) {
            last = packs.append(batch).baseOffset();
        }
        packs.sync();
        counter.MBps += (double) batchesPerFsync * batch.bytes() / 1e6;
        return last;
    }
}
