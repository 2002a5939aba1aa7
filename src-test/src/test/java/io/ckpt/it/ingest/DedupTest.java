package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.it.restore.PushRestoreTest;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The point of the datastore: a new checkpoint costs what changed, not what it holds. */
class DedupTest {
    private static final long IMAGE_BYTES = 256L << 20;

    @Test
    void secondPushOfSlightlyChangedImageStoresUnderTenPercent(@TempDir Path dir) throws IOException {
        MemoryImage v1 = MemoryImage.ofSize(2026, IMAGE_BYTES);
        MemoryImage v2 = v1.mutate(0.03, 7);
        Path f1 = v1.writeTo(dir.resolve("lpar7.v1.img"));
        Path f2 = v2.writeTo(dir.resolve("lpar7.v2.img"));
        String sha1 = Sha256.of(f1);
        String sha2 = Sha256.of(f2);

        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            JsonNode first = ckpt.run("push", "--wpar", "lpar7", "--json", f1.toString()).assertOk().json();
            JsonNode second = ckpt.run("push", "--wpar", "lpar7", "--json", f2.toString()).assertOk().json();

            long stored1 = first.path("stored_bytes").asLong();
            long stored2 = second.path("stored_bytes").asLong();
            System.out.printf("dedup: first push stored %d bytes (%.1f%%), second %d bytes (%.2f%%) of %d%n",
                    stored1, 100.0 * stored1 / IMAGE_BYTES, stored2, 100.0 * stored2 / IMAGE_BYTES, IMAGE_BYTES);
            assertTrue(stored2 > 0, "the second push changed 3% of the pages; it must store something: " + second);
            assertTrue(stored2 < IMAGE_BYTES / 10, "second push stored " + stored2 + " bytes, not under 10% of "
                    + IMAGE_BYTES + ": " + second);
            assertTrue(stored1 > 5 * stored2, "the first push stores the image, the second only what changed: "
                    + stored1 + " vs " + stored2);

            JsonNode list = ckpt.run("list", "--wpar", "lpar7", "--json").assertOk().json();
            assertEquals(2, list.path("checkpoints").size(), list::toString);
            for (JsonNode pushed : new JsonNode[] {first, second}) {
                JsonNode listed = PushRestoreTest.entry(list, pushed.path("id").asLong());
                assertEquals(IMAGE_BYTES, listed.path("logical_bytes").asLong(), listed::toString);
                assertEquals(pushed.path("stored_bytes").asLong(), listed.path("stored_bytes").asLong(), listed::toString);
            }

            assertEquals(sha1, restore(ckpt, dir, first.path("id").asLong()), "first version restored");
            assertEquals(sha2, restore(ckpt, dir, second.path("id").asLong()), "second version restored");
        }
    }

    private static String restore(Cli ckpt, Path dir, long id) {
        Sha256.Sink out = new Sha256.Sink();
        ckpt.command("restore", "--wpar", "lpar7", "--id", Long.toString(id), "--to", "-").stdout(out).run().assertOk();
        assertEquals(IMAGE_BYTES, out.count(), "bytes restored of checkpoint " + id);
        return out.hex();
    }
}
