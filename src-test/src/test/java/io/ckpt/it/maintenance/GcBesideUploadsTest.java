package io.ckpt.it.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.it.Sha256;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.testkit.ServerProcess;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, defect 2: garbage collection run back to back beside uploads of fresh data, with
 * packs of 1 MiB so that packs are created and sealed under GC's feet all the time. GC must not
 * delete a pack an upload is appending to (the unknown-file sweep) nor one whose chunk rows the
 * upload has not inserted yet (compaction): after a restart every acknowledged checkpoint restores
 * bit for bit and {@code verify --full} finds nothing damaged.
 */
@Tag("slow") // about 30 s of load plus a restart and the restores
class GcBesideUploadsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long LOAD_NANOS = 30_000_000_000L;
    private static final int PUSHERS = 3;

    record Pushed(long id, String wpar, String sha256, long bytes) {}

    @Test
    void gcBackToBackBesideFreshUploadsLosesNoAcknowledgedCheckpoint(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore")).args("--pack-size", "1").start()) {
            List<Pushed> pushed = new CopyOnWriteArrayList<>();
            List<String> errors = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            long[] gcRuns = {0};
            List<Thread> threads = new ArrayList<>();
            for (int n = 0; n < PUSHERS; n++) {
                int pusher = n;
                threads.add(new Thread(() -> push(server.address(), pusher, stop, pushed, errors), "pusher-" + n));
            }
            threads.add(new Thread(() -> {
                try (CkptClient c = CkptClient.connect(server.address(), "gc-loop")) {
                    while (!stop.get()) {
                        c.request(JSON.createObjectNode().put("op", "gc"), 120_000);
                        gcRuns[0]++;
                    }
                } catch (IOException | RuntimeException e) {
                    errors.add("gc loop: " + e);
                }
            }, "gc-loop"));
            threads.forEach(Thread::start);
            Thread.sleep(LOAD_NANOS / 1_000_000);
            stop.set(true);
            for (Thread t : threads) {
                t.join(180_000);
            }
            System.out.printf("gc beside uploads: %d checkpoints pushed, %d gc runs%n", pushed.size(), gcRuns[0]);
            assertEquals(List.of(), errors, "uploads and gc runs beside each other");
            assertTrue(pushed.size() >= PUSHERS && gcRuns[0] > 0, pushed.size() + " pushed, " + gcRuns[0] + " gc runs");

            server.stop();
            try (ServerProcess again = server.restart()) {
                checkEveryAcknowledgedRestores(again, pushed);
            }
        }
    }

    private static void checkEveryAcknowledgedRestores(ServerProcess server, List<Pushed> pushed) throws IOException {
        List<String> lost = new ArrayList<>();
        CkptClient c = CkptClient.connect(server.address(), "check");
        try {
            for (Pushed p : pushed) {
                try {
                    String got = Sha256.ofRestore(c, p.id());
                    if (!got.equals(p.sha256())) {
                        lost.add("checkpoint " + p.id() + " of WPAR " + p.wpar() + " restored as " + got + " != " + p.sha256());
                    }
                } catch (IOException e) {
                    lost.add("checkpoint " + p.id() + " of WPAR " + p.wpar() + ": " + e.getMessage());
                    c.close(); // a failed restore may leave the connection mid-stream
                    c = CkptClient.connect(server.address(), "check");
                }
            }
        } finally {
            c.close();
        }
        assertEquals(List.of(), lost, "checkpoints acknowledged before the restart");
        try (CkptClient verifier = CkptClient.connect(server.address(), "verify")) {
            JsonNode v = verifier.request(JSON.createObjectNode().put("op", "verify").put("full", true), 300_000);
            assertTrue(v.path("ok").asBoolean(), v::toString);
        }
    }

    /**
     * Uploads fresh random images of 2 to 6 MiB until told to stop; records what was acknowledged.
     * Each 4 MiB the server buffers becomes two appends of about 2 MiB, the second of which seals
     * the pack the first went to before the batch's rows are inserted: the window GC must respect.
     */
    private static void push(String address, int n, AtomicBoolean stop, List<Pushed> pushed, List<String> errors) {
        SplittableRandom rnd = new SplittableRandom(4242L + n);
        String wpar = "gcload" + n;
        try (CkptClient c = CkptClient.connect(address, "gc-host-" + n)) {
            while (!stop.get()) {
                byte[] image = new byte[(2048 + rnd.nextInt(4096)) << 10];
                rnd.nextBytes(image);
                long id = c.beginUpload(wpar, System.currentTimeMillis(), "manual", List.of());
                c.sendPart(new PartInfo("memory", PartType.STREAM, 0600, System.currentTimeMillis(), null),
                        new ByteArrayInputStream(image), k -> {});
                JsonNode committed = c.commit();
                assertEquals(id, committed.path("id").asLong(), committed::toString);
                pushed.add(new Pushed(id, wpar, Sha256.of(image), image.length));
            }
        } catch (IOException | RuntimeException e) {
            errors.add("pusher " + n + ": " + e);
        }
    }
}
