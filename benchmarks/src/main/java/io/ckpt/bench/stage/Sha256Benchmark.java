package io.ckpt.bench.stage;

import io.ckpt.bench.BenchmarkBase;
import io.ckpt.bench.ByteCounter;
import io.ckpt.chunk.ChunkDigest;
import java.security.DigestException;
import java.security.MessageDigest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * SHA-256 of every chunk of an image, as ingest names chunks: one {@link MessageDigest} reused,
 * digests written into one array (no allocation per chunk). MBps: image bytes.
 */
@State(Scope.Thread)
public class Sha256Benchmark extends BenchmarkBase {
    @Param("16")
    int imageMiB;

    private ImageChunks chunks;
    private final MessageDigest sha = ChunkDigest.sha256();
    private byte[] digests;

    @Setup
    public void setUp() {
        chunks = ImageChunks.of(imageMiB);
        digests = new byte[chunks.count() * ChunkDigest.LENGTH];
    }

    /** Returns a byte of the last digest, so that the hashing is not optimized away. */
    @Benchmark
    public byte digestChunks(ByteCounter counter) throws DigestException {
        byte[] image = chunks.bytes();
        for (int i = 0; i < chunks.count(); i++) {
            sha.update(image, chunks.offsets()[i], chunks.lengths()[i]);
            sha.digest(digests, i * ChunkDigest.LENGTH, ChunkDigest.LENGTH);
        }
        counter.MBps += image.length / 1e6;
        return digests[digests.length - 1];
    }
}
