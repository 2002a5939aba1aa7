package io.ckpt.bench.path;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.upload.CheckpointSender;
import io.ckpt.bench.BenchImage;
import io.ckpt.bench.BenchmarkBase;
import io.ckpt.bench.ByteCounter;
import io.ckpt.bench.ScratchDir;
import io.ckpt.bench.chunking.MemoryImageCorpus.Change;
import io.ckpt.bench.chunking.MemoryImageCorpus.Image;
import java.io.IOException;
import java.util.Locale;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A memory image of {@code imageMiB} MiB through the whole path: client, loopback TCP, frame
 * codec, ingest (FastCDC, SHA-256, catalog lookup, LZ4, pack append, catalog insert), commit with
 * fsyncs; and back (catalog, pack reads, LZ4, SHA-256 verify on the server, SHA-256 on the client).
 * Client and server share this JVM and the machine's cores, as they would not in production.
 *
 * <ul>
 *   <li>{@code ingestCold}: into an empty datastore (a fresh server per call, started untimed).
 *   <li>{@code ingestIncremental}: the next version of the image, 5% of its pages changed in
 *       clusters of up to 16 ({@code MemoryImageCorpus.next}), into a datastore holding the
 *       previous versions; a new version is made (untimed) before every call. {@code mode}
 *       {@code stream} sends every byte, {@code delta} chunks on the client and sends only the
 *       chunks the server lacks (the commit summary printed per iteration has its
 *       {@code bytes_sent}).
 *   <li>{@code restore}: the first version, stored once, restored with every call.
 * </ul>
 *
 * MBps: image bytes (logical). The setup and each iteration print the server's commit summary
 * (stored bytes, new chunks, server-side duration). Packs and catalog go under
 * {@code $CKPT_BENCH_DIR} (else the temp directory).
 */
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
public class WholePathBenchmark extends BenchmarkBase {

    /** The first image, made once per trial. */
    @State(Scope.Benchmark)
    public static class FirstImage {
        @Param("64")
        int imageMiB;

        Image image;

        @Setup
        public void setUp() {
            image = BenchImage.first(imageMiB);
        }
    }

    /** A server with an empty datastore before every call. */
    @State(Scope.Thread)
    public static class EmptyServer {
        ScratchDir dir;
        LoopbackServer server;
        JsonNode last;

        @Setup
        public void createDir() throws IOException {
            dir = ScratchDir.create("ckpt-bench-cold-");
        }

        @Setup(Level.Invocation)
        public void freshServer() throws IOException {
            if (server != null) {
                server.close();
                dir.clear();
            }
            server = LoopbackServer.start(dir.path().resolve("datastore"));
        }

        @TearDown(Level.Iteration)
        public void report() {
            printCommit("cold", last);
        }

        @TearDown
        public void tearDown() throws IOException {
            if (server != null) {
                server.close();
            }
            dir.close();
        }
    }

    /** A server holding every version uploaded so far, and the next version to upload. */
    @State(Scope.Thread)
    public static class Series {
        @Param({"stream", "delta"})
        String mode;

        ScratchDir dir;
        LoopbackServer server;
        Image current;
        int generation;
        JsonNode last;

        @Setup
        public void setUp(FirstImage first) throws IOException {
            dir = ScratchDir.create("ckpt-bench-incr-");
            server = LoopbackServer.start(dir.path().resolve("datastore"));
            current = first.image;
            printCommit("first version", server.upload(current.bytes(), CheckpointSender.Mode.parse(mode)));
        }

        @Setup(Level.Invocation)
        public void nextVersion() {
            current = BenchImage.corpus().next(current, ++generation, new Change(0.05, 16, 0));
        }

        @TearDown(Level.Iteration)
        public void report() {
            printCommit("incremental", last);
        }

        @TearDown
        public void tearDown() throws IOException {
            server.close();
            dir.close();
        }
    }

    /** A server holding the first image as one checkpoint. */
    @State(Scope.Thread)
    public static class Stored {
        ScratchDir dir;
        LoopbackServer server;
        long checkpointId;

        @Setup
        public void setUp(FirstImage first) throws IOException {
            dir = ScratchDir.create("ckpt-bench-restore-");
            server = LoopbackServer.start(dir.path().resolve("datastore"));
            JsonNode c = server.upload(first.image.bytes());
            printCommit("stored for restore", c);
            checkpointId = c.path("id").asLong();
        }

        @TearDown
        public void tearDown() throws IOException {
            server.close();
            dir.close();
        }
    }

    /** Returns the bytes stored for the image. */
    @Benchmark
    public long ingestCold(FirstImage first, EmptyServer s, ByteCounter counter) throws IOException {
        s.last = s.server.upload(first.image.bytes());
        counter.MBps += first.image.bytes().length / 1e6;
        return s.last.path("stored_bytes").asLong();
    }

    /** Returns the bytes stored for the new version. */
    @Benchmark
    public long ingestIncremental(Series s, ByteCounter counter) throws IOException {
        s.last = s.server.upload(s.current.bytes(), CheckpointSender.Mode.parse(s.mode));
        counter.MBps += s.current.bytes().length / 1e6;
        return s.last.path("stored_bytes").asLong();
    }

    /** Returns the bytes restored. */
    @Benchmark
    public long restore(Stored s, ByteCounter counter) throws IOException {
        long n = s.server.restore(s.checkpointId);
        counter.MBps += n / 1e6;
        return n;
    }

    static void printCommit(String what, JsonNode c) {
        if (c == null) {
            return;
        }
        System.out.printf(Locale.ROOT, "%n# %s: logical %,d, stored %,d (%.1f%%), sent %,d (%s), chunks %,d, new %,d,"
                        + " server %d ms: %s%n",
                what, c.path("logical_bytes").asLong(), c.path("stored_bytes").asLong(),
                100.0 * c.path("stored_bytes").asLong() / Math.max(1, c.path("logical_bytes").asLong()),
                c.path("bytes_sent").asLong(), c.path("upload_mode").asText("stream"),
                c.path("chunks").asLong(), c.path("new_chunks").asLong(), c.path("duration_ms").asLong(), c);
    }
}
