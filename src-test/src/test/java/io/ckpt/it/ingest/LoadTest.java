package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.net.ClientException;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many clients at once for a fixed time against one server process over loopback: uploads of
 * small images (distinct, and overlapping through shared bases), restores of what each client
 * uploaded (SHA-256 checked), and list/show/select requests. Reports throughput, the p99 latency
 * of the requests, and errors; fails on any error that was not injected, on any restore that
 * differs, and when the catalog at the end lists other checkpoints than the ones acknowledged.
 * It asserts no timing. {@code -Dckpt.load.seconds=N} and {@code -Dckpt.load.clients=N} change
 * the defaults (60 s, 64 clients) for longer runs on demand.
 */
@Tag("slow") // 60 s of fixed-time load: in .ci/run's second step, so the default suite stays under 15 minutes
class LoadTest {
    private static final int CLIENTS = Integer.getInteger("ckpt.load.clients", 64);
    private static final int SECONDS = Integer.getInteger("ckpt.load.seconds", 60);
    /** Every this many uploads (on average) is cut off after half its bytes: the injected fault. */
    private static final int CUT_ONE_IN = 50;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void manyClientsUploadRestoreAndQueryForAFixedTimeWithoutLossOrError(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore")).heap("512m").start()) {
            long start = System.nanoTime();
            long deadline = start + SECONDS * 1_000_000_000L;
            List<LoadClient> clients = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                LoadClient c = new LoadClient(i, server.address(), deadline);
                clients.add(c);
                Thread t = new Thread(c, "load-" + i);
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000) + 180_000);
                if (t.isAlive()) {
                    fail(t.getName() + " still running 180 s after the load's end; server log tail:\n" + tail(server.log()));
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;

            Report r = Report.of(clients, seconds);
            System.out.println(r.text());
            System.out.printf(java.util.Locale.ROOT, "  test JVM  heap peak %d MiB (sum of the pools' peaks), %d threads at the end%n",
                    heapPeakBytes() >> 20, Thread.activeCount());
            assertEquals(List.of(), r.errors(), "errors that were not injected (" + r.errorCount() + " in all)");
            assertTrue(server.isAlive(), "server died under load; its log tail:\n" + tail(server.log()));
            assertCatalogListsExactlyTheAcknowledged(server, clients);
            server.stop();
        }
    }

    /** None lost, none extra: every WPAR lists exactly the checkpoints its client saw committed. */
    private static void assertCatalogListsExactlyTheAcknowledged(ServerProcess server, List<LoadClient> clients) throws IOException {
        try (CkptClient c = CkptClient.connect(server.address(), "load-check")) {
            for (LoadClient lc : clients) {
                for (Map.Entry<String, TreeSet<Long>> e : lc.idsByWpar().entrySet()) {
                    ObjectNode req = JSON.createObjectNode().put("op", "list").put("wpar", e.getKey()).put("all", true);
                    TreeSet<Long> listed = new TreeSet<>();
                    for (JsonNode cp : c.request(req).path("checkpoints")) {
                        assertEquals("complete", cp.path("state").asText(), cp::toString);
                        listed.add(cp.path("id").asLong());
                    }
                    assertEquals(e.getValue(), listed, "checkpoints of WPAR " + e.getKey());
                }
            }
        }
    }

    private static long heapPeakBytes() {
        long sum = 0;
        for (java.lang.management.MemoryPoolMXBean p : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == java.lang.management.MemoryType.HEAP) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 8000));
    }

    /** One uploaded checkpoint as its client knows it. */
    record Uploaded(long id, String wpar, String sha256, long bytes) {}

    /** One connection's worth of load, on its own thread, with its own counters. */
    static final class LoadClient implements Runnable {
        private final int n;
        private final String address;
        private final long deadline;
        private final SplittableRandom rnd;
        private final List<Uploaded> uploaded = new ArrayList<>();
        private final Map<String, Uploaded> newest = new HashMap<>();
        final LongList queryNanos = new LongList();
        final List<String> errors = new ArrayList<>();
        long uploads;
        long bytesUp;
        long restores;
        long bytesDown;
        long busy;
        long cut;
        private CkptClient client;

        LoadClient(int n, String address, long deadline) {
            this.n = n;
            this.address = address;
            this.deadline = deadline;
            this.rnd = new SplittableRandom(7919L * n + 1);
        }

        @Override
        public void run() {
            try {
                client = CkptClient.connect(address, "load-host-" + n);
                while (System.nanoTime() < deadline) {
                    int dice = rnd.nextInt(10);
                    try {
                        if (uploaded.isEmpty() || dice < 4) {
                            upload();
                        } else if (dice < 7) {
                            restore(uploaded.get(rnd.nextInt(uploaded.size())));
                        } else {
                            query(dice);
                        }
                    } catch (IOException | RuntimeException | AssertionError e) {
                        errors.add("client " + n + ": " + e);
                        reconnect();
                    }
                }
            } catch (Exception | AssertionError e) {
                errors.add("client " + n + " gave up: " + e);
            } finally {
                if (client != null) {
                    client.close();
                }
            }
        }

        Map<String, TreeSet<Long>> idsByWpar() {
            Map<String, TreeSet<Long>> m = new HashMap<>();
            for (Uploaded u : uploaded) {
                m.computeIfAbsent(u.wpar(), w -> new TreeSet<>()).add(u.id());
            }
            return m;
        }

        private void reconnect() throws IOException {
            client.close();
            client = CkptClient.connect(address, "load-host-" + n);
        }

        /**
         * Uploads one image of 64 to 512 KiB: a prefix of one of four shared bases, mostly
         * with a share of its pages rewritten, so that uploads overlap yet differ. A busy server
         * (CONFLICT, --max-uploads) closes the connection: reconnect, wait a little, retry.
         */
        private void upload() throws IOException, InterruptedException {
            long bytes = (16 + rnd.nextInt(113)) * (long) MemoryImage.PAGE;
            MemoryImage image = MemoryImage.ofSize(1000 + rnd.nextInt(4), bytes);
            if (rnd.nextInt(4) != 0) {
                image = image.mutate(0.05 + 0.3 * rnd.nextDouble(), rnd.nextLong());
            }
            String wpar = "load" + n + (rnd.nextBoolean() ? "a" : "b");
            boolean cutOff = rnd.nextInt(CUT_ONE_IN) == 0;
            while (true) {
                long id;
                try {
                    id = client.beginUpload(wpar, System.currentTimeMillis(), "manual", List.of());
                } catch (ClientException e) {
                    if (e.code() != ErrorCode.CONFLICT || !String.valueOf(e.getMessage()).contains("server busy")) {
                        throw e;
                    }
                    busy++;
                    reconnect();
                    if (System.nanoTime() >= deadline) {
                        return;
                    }
                    Thread.sleep(10 + rnd.nextInt(40));
                    continue;
                }
                MessageDigest sha = Sha256.digest();
                PartInfo part = new PartInfo("memory", PartType.STREAM, 0600, System.currentTimeMillis(), null);
                if (cutOff) {
                    // The injected fault: half the bytes, then the connection drops before the commit.
                    try (InputStream in = image.prefix(bytes / 2)) {
                        client.sendPart(part, in, k -> {});
                    }
                    cut++;
                    reconnect();
                    return;
                }
                try (InputStream in = new DigestInputStream(image.open(), sha)) {
                    client.sendPart(part, in, k -> {});
                }
                JsonNode committed = client.commit();
                assertEquals(id, committed.path("id").asLong(), committed::toString);
                assertEquals(bytes, committed.path("logical_bytes").asLong(), committed::toString);
                Uploaded u = new Uploaded(id, wpar, HexFormat.of().formatHex(sha.digest()), bytes);
                uploaded.add(u);
                newest.put(wpar, u);
                uploads++;
                bytesUp += bytes;
                return;
            }
        }

        private void restore(Uploaded u) throws IOException {
            MessageDigest sha = Sha256.digest();
            long[] got = {0};
            client.restore(u.id(), new CkptClient.RestoreReceiver() {
                @Override
                public void header(JsonNode checkpoint) {
                    assertEquals(u.id(), checkpoint.path("id").asLong(), checkpoint::toString);
                }

                @Override
                public void beginPart(PartInfo part) {}

                @Override
                public void data(ByteBuffer bytes) {
                    got[0] += bytes.remaining();
                    sha.update(bytes);
                }

                @Override
                public void endPart(long length, byte[] sha256) {}
            });
            String hex = HexFormat.of().formatHex(sha.digest());
            if (!hex.equals(u.sha256()) || got[0] != u.bytes()) {
                errors.add("client " + n + ": restore of checkpoint " + u.id() + " of WPAR " + u.wpar() + " differs: "
                        + got[0] + " bytes, SHA-256 " + hex + " != expected " + u.bytes() + " bytes, " + u.sha256());
            }
            restores++;
            bytesDown += got[0];
        }

        /** One of list (a WPAR of this client), show (one of its checkpoints), select (a WPAR's newest). */
        private void query(int dice) throws IOException {
            Uploaded u = uploaded.get(rnd.nextInt(uploaded.size()));
            ObjectNode req = JSON.createObjectNode();
            switch (dice) {
                case 7 -> req.put("op", "list").put("wpar", u.wpar());
                case 8 -> req.put("op", "show").put("id", u.id());
                default -> req.put("op", "select").put("wpar", u.wpar());
            }
            long t0 = System.nanoTime();
            JsonNode r = client.request(req);
            queryNanos.add(System.nanoTime() - t0);
            switch (dice) {
                case 7 -> {
                    boolean found = false;
                    for (JsonNode cp : r.path("checkpoints")) {
                        found |= cp.path("id").asLong() == u.id();
                    }
                    assertTrue(found, () -> "list of " + u.wpar() + " lacks checkpoint " + u.id());
                }
                case 8 -> assertEquals("complete", r.path("checkpoint").path("state").asText(), r::toString);
                default -> assertEquals(newest.get(u.wpar()).id(), r.path("checkpoint").path("id").asLong(),
                        () -> "select of " + u.wpar() + ": " + r);
            }
        }
    }

    /** A growable array of longs: latencies without a box each. */
    static final class LongList {
        private long[] a = new long[256];
        private int size;

        void add(long v) {
            if (size == a.length) {
                a = java.util.Arrays.copyOf(a, size * 2);
            }
            a[size++] = v;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(a, size);
        }
    }

    /** The numbers of one run, summed over the clients. */
    record Report(int clients, double seconds, long uploads, long bytesUp, long restores, long bytesDown, long queries,
            double p50Millis, double p99Millis, double maxMillis, long busy, long cut, long errorCount, List<String> errors) {
        static Report of(List<LoadClient> cs, double seconds) {
            long uploads = 0, up = 0, restores = 0, down = 0, busy = 0, cut = 0, errorCount = 0;
            List<String> errors = new ArrayList<>();
            int total = 0;
            for (LoadClient c : cs) {
                uploads += c.uploads;
                up += c.bytesUp;
                restores += c.restores;
                down += c.bytesDown;
                busy += c.busy;
                cut += c.cut;
                errorCount += c.errors.size();
                for (String e : c.errors) {
                    if (errors.size() < 20) {
                        errors.add(e);
                    }
                }
                total += c.queryNanos.size;
            }
            long[] all = new long[total];
            int k = 0;
            for (LoadClient c : cs) {
                long[] q = c.queryNanos.toArray();
                System.arraycopy(q, 0, all, k, q.length);
                k += q.length;
            }
            java.util.Arrays.sort(all);
            return new Report(cs.size(), seconds, uploads, up, restores, down, total, pct(all, 0.50), pct(all, 0.99),
                    all.length == 0 ? 0 : all[all.length - 1] / 1e6, busy, cut, errorCount, errors);
        }

        private static double pct(long[] sorted, double p) {
            return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] / 1e6;
        }

        String text() {
            double mib = 1024.0 * 1024.0;
            return String.format(java.util.Locale.ROOT, """
                    load report: %d clients for %.1f s over loopback
                      uploads   %d committed, %.1f MiB, %.2f MiB/s up; %d cut off on purpose (injected); %d busy refusals retried
                      restores  %d verified, %.1f MiB, %.2f MiB/s down
                      requests  %d list/show/select: p50 %.1f ms, p99 %.1f ms, max %.1f ms
                      errors    %d not injected""",
                    clients, seconds, uploads, bytesUp / mib, bytesUp / mib / seconds, cut, busy,
                    restores, bytesDown / mib, bytesDown / mib / seconds, queries, p50Millis, p99Millis, maxMillis, errorCount);
        }
    }
}
