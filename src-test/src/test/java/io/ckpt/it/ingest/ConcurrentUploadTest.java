package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.it.restore.PushRestoreTest;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads at the same time, to different WPARs and twice to one, all land and restore. The images
 * share most of their chunks, so the uploads race to store the same new chunks.
 */
@Tag("slow") // long: run by .ci/run after the default suite, which stays under 15 minutes
class ConcurrentUploadTest {
    private static final long IMAGE_BYTES = 32L << 20;
    private static final Pattern STARTED = Pattern.compile("upload of checkpoint \\d+ for WPAR (\\S+) from .* started");

    @Test
    void eightUploadsInFlightAtOnceAllLandAndRestoreByteIdentical(@TempDir Path dir) throws IOException {
        MemoryImage base = MemoryImage.ofSize(131, IMAGE_BYTES);
        List<String> wpars = new ArrayList<>();
        List<MemoryImage> images = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            wpars.add("conc0" + i);
            images.add(base.mutate(0.02 * (i + 1), 1000 + i));
        }
        wpars.add("shared");
        images.add(base);
        wpars.add("shared");
        images.add(base.mutate(0.1, 1099));
        int n = images.size();

        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server).jvm(List.of("-XX:+UseSerialGC", "-Xmx256m"));
            // Each client begins its upload, then waits for its stdin until every upload has begun.
            CountDownLatch allStarted = new CountDownLatch(1);
            List<Cli.Running> pushes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                MemoryImage image = images.get(i);
                pushes.add(ckpt.command("push", "--wpar", wpars.get(i), "--json", "-").stdin(() -> {
                    awaitQuietly(allStarted);
                    return image.open();
                }).start());
            }
            awaitStarted(server, n);
            allStarted.countDown();

            Map<Long, Integer> byId = new HashMap<>();
            for (int i = 0; i < n; i++) {
                JsonNode pushed = pushes.get(i).await(Duration.ofSeconds(180)).assertOk().json();
                assertEquals(IMAGE_BYTES, pushed.path("logical_bytes").asLong(), pushed::toString);
                assertEquals(wpars.get(i), pushed.path("wpar").asText());
                byId.put(pushed.path("id").asLong(), i);
            }
            assertEquals(n, byId.size(), "every upload got its own id: " + byId);

            JsonNode list = ckpt.run("list", "--json").assertOk().json();
            assertEquals(n, list.path("checkpoints").size(), list::toString);
            for (long id : byId.keySet()) {
                JsonNode c = PushRestoreTest.entry(list, id);
                assertEquals("complete", c.path("state").asText());
                assertEquals(IMAGE_BYTES, c.path("logical_bytes").asLong());
            }

            // and restore them all at once too
            List<Cli.Running> restores = new ArrayList<>();
            List<Sha256.Sink> outs = new ArrayList<>();
            List<Long> ids = new ArrayList<>(byId.keySet());
            for (long id : ids) {
                Sha256.Sink out = new Sha256.Sink();
                outs.add(out);
                restores.add(ckpt.command("restore", "--wpar", wpars.get(byId.get(id)), "--id", Long.toString(id), "--to", "-")
                        .stdout(out).start());
            }
            for (int k = 0; k < ids.size(); k++) {
                restores.get(k).await(Duration.ofSeconds(180)).assertOk();
                int i = byId.get(ids.get(k));
                assertEquals(images.get(i).sha256(), outs.get(k).hex(),
                        "checkpoint " + ids.get(k) + " of WPAR " + wpars.get(i) + " (image " + i + ") restored");
            }
        }
    }

    private static void awaitStarted(ServerProcess server, int n) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            Matcher m = STARTED.matcher(server.log());
            int started = 0;
            while (m.find()) {
                started++;
            }
            if (started == n) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail(started + " of " + n + " uploads began within 90 s; server log:\n" + server.log());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("uploads never all began");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
