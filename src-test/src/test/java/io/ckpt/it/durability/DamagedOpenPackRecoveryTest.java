package io.ckpt.it.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, found by reading: a record damaged in the middle of a pack that was open when the
 * server died. Recovery keeps the clean records after it but must forget the damaged one's chunk,
 * so that the same bytes pushed again are stored anew rather than deduplicated onto a record that
 * cannot be read.
 */
class DamagedOpenPackRecoveryTest {
    @Test
    void sameImagePushedAfterRecoveryFromADamagedOpenPackRestoresBitForBit(@TempDir Path dir) throws Exception {
        Path image = MemoryImage.ofSize(91, 4L << 20).writeTo(dir.resolve("web11.img"));
        String sha = Sha256.of(image);
        Path datastore = dir.resolve("datastore");
        ServerProcess first = ServerProcess.start(datastore);
        long firstId;
        try (first) {
            firstId = Cli.against(first).run("push", "--wpar", "web11", "--json", image.toString()).assertOk().json()
                    .path("id").asLong();
            first.kill9(); // the pack stays open: recovery scans it at the next start
        }
        long damagedAt = DamagedPackTest.flipByteInMiddleRecord(onlyPack(datastore), Long.MAX_VALUE);

        try (ServerProcess server = first.restart()) {
            Cli ckpt = Cli.against(server);
            JsonNode before = ckpt.run("verify", "--full", "--json").json();
            assertTrue(!before.path("ok").asBoolean(true) && before.toString().contains(Long.toString(firstId)),
                    "verify names checkpoint " + firstId + " (its chunk at offset " + damagedAt + " is gone): " + before);

            // Stream mode: a delta push reads the previous version's chunk list first, and the agent refuses
            // one that names a chunk the catalog no longer has ("has length 0"); see the report of issue 13.
            JsonNode again = ckpt.run("push", "--wpar", "web11", "--mode", "stream", "--json", image.toString()).assertOk().json();
            for (long id : List.of(again.path("id").asLong(), firstId)) {
                Sha256.Sink sink = new Sha256.Sink();
                ckpt.command("restore", "--wpar", "web11", "--id", Long.toString(id), "--to", "-").stdout(sink).run()
                        .assertOk();
                assertEquals(sha, sink.hex(), "checkpoint " + id + " restored");
            }
            assertTrue(ckpt.run("verify", "--full", "--json").json().path("ok").asBoolean(), "verify clean once the chunk is back");
        }
    }

    private static Path onlyPack(Path datastore) throws Exception {
        try (Stream<Path> walk = Files.walk(datastore.resolve("packs"))) {
            List<Path> packs = walk.filter(p -> p.toString().endsWith(".pack")).toList();
            assertEquals(1, packs.size(), "packs: " + packs);
            return packs.get(0);
        }
    }
}
