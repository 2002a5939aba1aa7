package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory does not grow with the image: a server with a 256 MiB heap ingests a 2 GiB stream (eight times its heap) and
 * streams it back. Takes a minute or two; tagged "slow" so that -DexcludedGroups=slow can skip it.
 */
@Tag("slow")
class LargeStreamTest {
    private static final long IMAGE_BYTES = 2L << 30;
    private static final long DISK_NEEDED = 4L << 30;

    @Test
    void fourGibStreamIngestsAndRestoresOnA256MibServerHeap(@TempDir Path dir) throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < DISK_NEEDED) {
            fail("this test needs " + (DISK_NEEDED >> 30) + " GiB free under " + dir + " (the datastore takes about 1 GiB),"
                    + " only " + (free >> 20) + " MiB are: free space or point java.io.tmpdir elsewhere");
        }
        MemoryImage image = MemoryImage.ofSize(4096, IMAGE_BYTES);
        MessageDigest fed = Sha256.digest();

        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore")).heap("256m").start()) {
            Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            long start = System.nanoTime();
            JsonNode pushed = ckpt.command("push", "--wpar", "big01", "--json", "-")
                    .stdin(() -> new DigestInputStream(image.open(), fed))
                    .timeout(Duration.ofMinutes(8)).run().assertOk().json();
            long pushMillis = (System.nanoTime() - start) / 1_000_000;
            String expected = HexFormat.of().formatHex(fed.digest());

            assertEquals(IMAGE_BYTES, pushed.path("logical_bytes").asLong(), pushed::toString);
            long stored = pushed.path("stored_bytes").asLong();
            long packBytes = packBytes(server.datastore());
            System.out.printf("large stream: pushed %d bytes in %d ms, %d stored (%.1f%%), packs %d bytes%n",
                    IMAGE_BYTES, pushMillis, stored, 100.0 * stored / IMAGE_BYTES, packBytes);
            assertTrue(stored > IMAGE_BYTES / 4 && stored < IMAGE_BYTES * 3 / 4,
                    "a half-compressible image stores about half: " + stored);
            assertTrue(server.isAlive(), "the server survived the upload; its log:\n" + server.log());

            Sha256.Sink out = new Sha256.Sink();
            start = System.nanoTime();
            ckpt.command("restore", "--wpar", "big01", "--id", pushed.path("id").asText(), "--to", "-")
                    .stdout(out).timeout(Duration.ofMinutes(8)).run().assertOk();
            System.out.printf("large stream: restored in %d ms%n", (System.nanoTime() - start) / 1_000_000);
            assertEquals(IMAGE_BYTES, out.count(), "bytes restored");
            assertEquals(expected, out.hex(), "restored stream");

            assertTrue(server.isAlive(), "the server survived the restore; its log:\n" + server.log());
            assertFalse(server.log().contains("OutOfMemoryError"), server.log());
        }
    }

    private static long packBytes(Path datastore) throws IOException {
        try (Stream<Path> walk = Files.walk(datastore.resolve("packs"))) {
            List<Path> packs = walk.filter(Files::isRegularFile).toList();
            long sum = 0;
            for (Path p : packs) {
                sum += Files.size(p);
            }
            return sum;
        }
    }
}
