package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.net.ClientException;
import io.ckpt.it.AgentProcess;
import io.ckpt.it.Cli;
import io.ckpt.it.HttpScrape;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fair under load (docs/OPERATIONS.md, "Under load"): uploads over {@code --max-uploads} wait
 * their turn, restores go ahead of ingest ({@code --ingest-share}), and a host's uploads are read
 * no faster than {@code --host-upload-rate} (and sent no faster than the agent's
 * {@code upload.rate-limit}). Timing is asserted only as lower bounds; the restore-priority test
 * asserts the pause counter and prints the throughput it saw.
 */
class FairLoadTest {
    private static final long MIB = 1 << 20;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void uploadsOverTheCapWaitTheirTurnInOrderAndPushSaysSo() throws Exception {
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore"))
                .args("--max-uploads", "1", "--upload-queue", "1", "--upload-wait", "120").start();
                CkptClient holder = CkptClient.connect(server.address(), "holder")) {
            HttpScrape http = new HttpScrape(server);
            holder.beginUpload("held", System.currentTimeMillis(), "manual", List.of());
            Path file = randomFile("image", MIB, 1);

            int mark = server.logMark();
            Cli.Running push = Cli.against(server).command("push", "--wpar", "queued", file.toString()).start();
            server.awaitLog(mark, Pattern.compile("upload for WPAR queued from \\S+ \\(\\S+\\) waits for an upload slot, 0 ahead"), WAIT);
            Map<String, Double> m = http.metrics();
            assertEquals(1.0, m.get("ckpt_uploads_active"), m::toString);
            assertEquals(1.0, m.get("ckpt_uploads_waiting"), m::toString);

            // The queue holds one: the next upload is refused as before queues, and its client retries later.
            try (CkptClient third = CkptClient.connect(server.address(), "third")) {
                ClientException e = assertThrows(ClientException.class,
                        () -> third.beginUpload("refused", System.currentTimeMillis(), "manual", List.of()));
                assertEquals(ErrorCode.CONFLICT, e.code());
                assertEquals("server busy: 1 uploads in progress and 1 waiting, the most it takes (--max-uploads,"
                        + " --upload-queue); retry later", e.getMessage());
            }

            holder.commit(); // its slot goes to the waiting push
            Cli.Result r = push.await(WAIT).assertOk();
            assertTrue(r.stderr().contains("ckpt: waiting for an upload slot (0 ahead)\n"), r::toString);

            // A client that did not ask for notices (one from before queues) just hears UPLOAD_STARTED later.
            try (CkptClient holder2 = CkptClient.connect(server.address(), "holder");
                    CkptClient old = CkptClient.connect(server.address(), "old")) {
                holder2.beginUpload("held", System.currentTimeMillis(), "manual", List.of());
                mark = server.logMark();
                CompletableFuture<Long> begun = CompletableFuture.supplyAsync(() -> {
                    try {
                        return old.beginUpload("old", System.currentTimeMillis(), "manual", List.of());
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                server.awaitLog(mark, Pattern.compile("upload for WPAR old from .* waits for an upload slot, 0 ahead"), WAIT);
                assertFalse(begun.isDone(), "the old client's upload began while the slot was taken");
                holder2.commit();
                long id = begun.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertEquals(id, old.commit().path("id").asLong());
            }

            m = http.metrics();
            assertEquals(2.0, m.get("ckpt_uploads_queued_total"), m::toString);
            assertEquals(1.0, m.get("ckpt_uploads_refused_busy_total"), m::toString);
            assertEquals(0.0, m.get("ckpt_uploads_waiting"), m::toString);
            assertTrue(m.get("ckpt_uploads_wait_seconds_total") > 0, m::toString);
            assertEquals(List.of("held", "held", "old", "queued"), wparsOf(Cli.against(server).run("list", "--json")
                    .assertOk().json()));
        }
    }

    @Test
    void aHostIsReadNoFasterThanItsUploadRatePushSendsNoFasterThanItsOwnAndNoUploadWaitsPastUploadWait() throws Exception {
        long rate = 2 * MIB;
        // One upload slot, a wait of at most 1 s: the pushes below run one at a time, the last one waits too long.
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore"))
                .args("--host-upload-rate", "2MiB/s", "--max-uploads", "1", "--upload-wait", "1").start()) {
            long size = 3 * MIB;
            Path file = randomFile("image", size, 3);
            JsonNode pushed = Cli.against(server).run("push", "--wpar", "limited", "--json", file.toString()).assertOk().json();
            long ms = pushed.path("duration_ms").asLong();
            // The server charges each 1 MiB DATA frame as it reads it, with a burst of 64 KiB: all but the last
            // frame must have been paid for at 2 MiB/s before the last is read.
            long floor = (size - MIB - (64 << 10)) * 1000 / rate;
            System.out.printf(Locale.ROOT, "fair: 3 MiB push at --host-upload-rate 2MiB/s took %d ms (at least %d)%n", ms, floor);
            assertTrue(ms >= floor, "3 MiB at 2 MiB/s in " + ms + " ms");
            assertTrue(new HttpScrape(server).metrics().get("ckpt_upload_throttled_seconds_total") >= 0.5);

            // The client's own limit, below the server's: 2 MiB at 1 MiB/s with its 1 MiB burst takes 1 s at least.
            Path small = randomFile("small", 2 * MIB, 4);
            pushed = Cli.against(server).run("push", "--wpar", "paced", "--rate-limit", "1MiB/s", "--host-id", "other",
                    "--json", small.toString()).assertOk().json();
            System.out.printf(Locale.ROOT, "fair: 2 MiB push --rate-limit 1MiB/s took %d ms (at least 1000)%n",
                    pushed.path("duration_ms").asLong());
            assertTrue(pushed.path("duration_ms").asLong() >= 1000, pushed::toString);
            Cli.Result r = Cli.against(server).run("push", "--wpar", "paced", "--rate-limit", "1MB/s", small.toString());
            r.assertExit(2);
            assertTrue(r.stderr().contains("ckpt: --rate-limit '1MB/s' is not a rate (use 50MiB/s, 512KiB/s, or off)"), r::toString);

            // The slot is taken and stays taken: a push waits --upload-wait (1 s) and is then refused as busy.
            try (CkptClient holder = CkptClient.connect(server.address(), "holder")) {
                holder.beginUpload("held", System.currentTimeMillis(), "manual", List.of());
                r = Cli.against(server).run("push", "--wpar", "late", small.toString());
                r.assertExit(1);
                assertTrue(r.stderr().contains("ckpt: waiting for an upload slot (0 ahead)\n"), r::toString);
                assertTrue(r.stderr().contains("server busy: waited 1 s for an upload slot (--upload-wait), 1 uploads in"
                        + " progress; retry later"), r::toString);
                assertEquals(1.0, new HttpScrape(server).metrics().get("ckpt_uploads_wait_timeouts_total"));
            }
        }
    }

    @Test
    void agentSendsNoFasterThanItsUploadRateLimitAndStatusShowsTheServerLoad() throws Exception {
        int controlPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            controlPort = s.getLocalPort();
        }
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Path source = Files.createDirectories(dir.resolve("source"));
            randomFile("source/image", 2 * MIB, 5);
            Path config = Files.writeString(dir.resolve("agent.yaml"), """
                    server: %s
                    host-id: paced-agent
                    state-dir: %s
                    control: 127.0.0.1:%d
                    upload: { rate-limit: 1MiB/s }
                    defaults:
                      schedule: { interval: 1h }
                    wpars:
                      - name: paced
                        source: { preset: directory, path: %s }
                    """.formatted(server.address(), dir.resolve("agent-state"), controlPort, source));
            try (AgentProcess agent = AgentProcess.start(config, Map.of())) {
                var uploaded = agent.awaitLog(0, Pattern.compile("WPAR paced checkpoint \\d+ uploaded: (\\d+) bytes sent, .*, (\\d+) ms"),
                        WAIT);
                long ms = Long.parseLong(uploaded.group(2));
                System.out.printf(Locale.ROOT, "fair: agent upload of 2 MiB at upload.rate-limit 1MiB/s took %d ms (at least 1000)%n", ms);
                assertTrue(ms >= 1000, "2 MiB at 1 MiB/s (1 MiB burst) in " + ms + " ms");

                Cli.Result status = Cli.against(server).run("status", "--control", "127.0.0.1:" + controlPort).assertOk();
                assertTrue(status.stdout().contains("server load: 0 of 16 upload slots busy, 0 waiting; 0 restore(s) running;"),
                        status::toString);
                JsonNode load = Cli.against(server).run("status", "--control", "127.0.0.1:" + controlPort, "--json")
                        .assertOk().json().path("server_load");
                assertEquals(16, load.path("uploads").path("max").asInt(), load::toString);
                assertEquals(256, load.path("uploads").path("queue_max").asInt(), load::toString);
                assertEquals(20, load.path("restores").path("ingest_share_percent").asInt(), load::toString);
                JsonNode api = new HttpScrape(server).json("/api/v1/load");
                assertEquals(load.path("uploads").path("max"), api.path("uploads").path("max"), api::toString);
                assertEquals(load.path("host_upload_rate"), api.path("host_upload_rate"), api::toString);
                agent.stop();
            }
        }
    }

    @Test
    void badLoadOptionsAreUsageErrorsThatNameTheOption() throws Exception {
        ServerProcess.Exited e = ServerProcess.on(dir.resolve("datastore")).args("--host-upload-rate", "100MB")
                .startExpectingExit();
        assertEquals(2, e.exitCode(), e::log);
        assertTrue(e.log().contains("ckpt server: --host-upload-rate '100MB' is not a rate: use 100MiB/s, 512KiB/s"), e::log);
        e = ServerProcess.on(dir.resolve("datastore")).args("--ingest-share", "0").startExpectingExit();
        assertEquals(2, e.exitCode(), e::log);
        assertTrue(e.log().contains("ckpt server: --ingest-share must be 1 to 100 (percent): 0"), e::log);
    }

    @Test
    void ingestPausesWhileARestoreRuns() throws Exception {
        // The restoring client reads slowly (50 ms a MiB), so the server's restore lasts a second or more
        // (it ends once the rest fits in the socket buffers and the client's queue of 32 frames) and the
        // uploads certainly run beside it, however fast or loaded the machine: the counter cannot stay 0
        // unless the priority does nothing.
        Measured m = restoreUnderIngest(dir.resolve("datastore"), 20, 2, 64 * MIB, false, 50);
        System.out.println("fair: " + m);
        assertTrue(m.ingestPauses() > 0, "ingest never paused while the restore ran: " + m);
    }

    /**
     * The benchmark behind docs/BENCHMARKS.md, "Fair under load": the same restore under the same
     * ingest load, with the priority off ({@code --ingest-share 100}) and on (20). Prints the numbers;
     * asserts only the pause counters.
     */
    @Test
    @Tag("slow")
    void restoreThroughputUnderIngestWithAndWithoutPriority() throws Exception {
        int uploaders = Integer.getInteger("ckpt.fair.uploaders", 4);
        long bytes = Long.getLong("ckpt.fair.restore.mib", 256) * MIB;
        // -Dckpt.fair.onFirst=true swaps the order, so that drift in a machine's load is seen for what it is.
        boolean onFirst = Boolean.getBoolean("ckpt.fair.onFirst");
        Measured first = restoreUnderIngest(dir.resolve("first"), onFirst ? 20 : 100, uploaders, bytes, true, 0);
        Measured second = restoreUnderIngest(dir.resolve("second"), onFirst ? 100 : 20, uploaders, bytes, true, 0);
        Measured off = onFirst ? second : first;
        Measured on = onFirst ? first : second;
        System.out.println("fair: priority off: " + off);
        System.out.println("fair: priority on:  " + on);
        System.out.printf(Locale.ROOT, "fair: restore kept %.0f%% of its speed alone with the priority on, %.0f%% with it off;"
                + " ingest during the restore on/off %.2fx%n", 100 * on.kept(), 100 * off.kept(),
                on.ingestMibPerSecond() / off.ingestMibPerSecond());
        assertEquals(0, off.ingestPauses(), "--ingest-share 100 pauses nothing: " + off);
        assertTrue(on.ingestPauses() > 0, on::toString);
    }

    /** One restore while {@code uploaders} clients upload without a break, after one alone. */
    record Measured(int share, int uploaders, double restoreIdleMibPerSecond, double restoreMibPerSecond,
            double ingestMibPerSecond, long ingestPauses, double ingestPausedSeconds) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "--ingest-share %d, %d uploaders: restore alone %.0f MiB/s, under ingest %.0f"
                    + " MiB/s (%.0f%% kept); ingest during the restore %.0f MiB/s; ingest paused %d times, %.1f s",
                    share, uploaders, restoreIdleMibPerSecond, restoreMibPerSecond, 100 * kept(), ingestMibPerSecond,
                    ingestPauses, ingestPausedSeconds);
        }

        /** The share of its speed alone that the restore kept under ingest (same server, same run). */
        double kept() {
            return restoreMibPerSecond / restoreIdleMibPerSecond;
        }
    }

    /**
     * {@code warm}: restore once before the restore alone that is measured (JIT, page cache).
     * {@code slowReadMillis} (per MiB) above 0: the client reads the restore that slowly, and the
     * restore alone is not measured (NaN).
     */
    private static Measured restoreUnderIngest(Path datastore, int share, int uploaders, long restoreBytes, boolean warm,
            long slowReadMillis) throws Exception {
        try (ServerProcess server = ServerProcess.on(datastore).args("--ingest-share", Integer.toString(share)).start()) {
            HttpScrape http = new HttpScrape(server);
            long id = upload(server.address(), "restorer", "restore-me", restoreBytes, 42, new AtomicBoolean(), new AtomicLong());
            if (warm) {
                restoreMibPerSecond(server.address(), id, restoreBytes, 0);
            }
            double idle = slowReadMillis > 0 ? Double.NaN : restoreMibPerSecond(server.address(), id, restoreBytes, 0);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong ingested = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < uploaders; i++) {
                int n = i;
                Thread t = new Thread(() -> {
                    for (long seed = 1000L * n; !stop.get(); seed++) {
                        try {
                            upload(server.address(), "ingest-" + n, "ingest" + n, 256 * MIB, seed, stop, ingested);
                        } catch (IOException e) {
                            if (!stop.get()) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }
                    }
                }, "ingest-" + n);
                t.start();
                threads.add(t);
            }
            try {
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (http.metrics().get("ckpt_uploads_active") < uploaders || ingested.get() < 8 * MIB * uploaders) {
                    assertTrue(System.nanoTime() < deadline, "the uploads did not get going; server log:\n" + server.log());
                    Thread.sleep(100);
                }
                long before = ingested.get();
                long start = System.nanoTime();
                double busy = restoreMibPerSecond(server.address(), id, restoreBytes, slowReadMillis);
                double seconds = (System.nanoTime() - start) / 1e9;
                double ingest = (ingested.get() - before) / (double) MIB / seconds;
                Map<String, Double> m = http.metrics();
                assertEquals(0.0, m.get("ckpt_restores_active"), m::toString);
                return new Measured(share, uploaders, idle, busy, ingest, m.get("ckpt_ingest_yield_pauses_total").longValue(),
                        m.get("ckpt_ingest_yield_seconds_total"));
            } finally {
                stop.set(true);
                for (Thread t : threads) {
                    t.join(30_000);
                }
            }
        }
    }

    /** Uploads {@code bytes} of seeded random data as one stream part; {@code stop} cuts it off (an aborted upload). */
    private static long upload(String server, String host, String wpar, long bytes, long seed, AtomicBoolean stop,
            AtomicLong sent) throws IOException {
        try (CkptClient c = CkptClient.connect(server, host)) {
            long now = System.currentTimeMillis();
            c.beginUpload(wpar, now, "manual", List.of());
            try (InputStream in = new RandomStream(bytes, seed, stop)) {
                c.sendPart(new PartInfo("image", PartType.STREAM, 0600, now, ""), in, sent::addAndGet);
            } catch (IOException e) {
                c.abort("stopped");
                throw e;
            }
            return c.commit().path("id").asLong();
        }
    }

    private static double restoreMibPerSecond(String server, long id, long expected, long slowReadMillis) throws IOException {
        AtomicLong got = new AtomicLong();
        long start = System.nanoTime();
        try (CkptClient c = CkptClient.connect(server, "restorer")) {
            c.restore(id, new CkptClient.RestoreReceiver() {
                @Override
                public void header(JsonNode checkpoint) {}

                @Override
                public void beginPart(PartInfo part) {}

                @Override
                public void data(ByteBuffer bytes) throws IOException {
                    long before = got.getAndAdd(bytes.remaining());
                    if (slowReadMillis > 0 && before / MIB != got.get() / MIB) {
                        try {
                            Thread.sleep(slowReadMillis);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException("interrupted");
                        }
                    }
                }

                @Override
                public void endPart(long length, byte[] sha256) {}
            });
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(expected, got.get(), "bytes restored");
        return expected / (double) MIB / seconds;
    }

    /** Seeded random bytes (incompressible, no dedup between seeds), {@code length} of them. */
    private static final class RandomStream extends InputStream {
        private final SplittableRandom random;
        private final AtomicBoolean stop;
        private long left;

        RandomStream(long length, long seed, AtomicBoolean stop) {
            this.random = new SplittableRandom(seed);
            this.left = length;
            this.stop = stop;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (stop.get()) {
                throw new IOException("stopped");
            }
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(len, left) & ~7;
            if (n == 0) {
                n = (int) Math.min(len, left);
                for (int i = 0; i < n; i++) {
                    b[off + i] = (byte) random.nextInt();
                }
            } else {
                ByteBuffer buf = ByteBuffer.wrap(b, off, n);
                while (buf.hasRemaining()) {
                    buf.putLong(random.nextLong());
                }
            }
            left -= n;
            return n;
        }
    }

    /** A file of {@code size} seeded random bytes under the test's directory. */
    private Path randomFile(String name, long size, long seed) throws IOException {
        Path file = dir.resolve(name);
        try (InputStream in = new RandomStream(size, seed, new AtomicBoolean())) {
            Files.copy(in, file);
        }
        return file;
    }

    private static List<String> wparsOf(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.path("checkpoints").forEach(c -> out.add(c.path("wpar").asText()));
        out.sort(null);
        return out;
    }
}
