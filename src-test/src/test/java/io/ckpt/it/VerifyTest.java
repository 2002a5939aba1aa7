package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ckpt verify finds a flipped byte in a pack and names the checkpoints and parts it breaks. */
class VerifyTest {
    @Test
    void verifyFindsAFlippedPackByteAndNamesTheAffectedCheckpoint(@TempDir Path dir) throws Exception {
        byte[] a = new byte[3 << 20];
        byte[] b = new byte[3 << 20];
        new Random(11).nextBytes(a);
        new Random(12).nextBytes(b);
        Path imgA = Files.write(dir.resolve("memory-a.img"), a);
        Path imgB = Files.write(dir.resolve("memory-b.img"), b);
        Path datastore = dir.resolve("datastore");
        long first;
        long second;
        try (ServerProcess server = ServerProcess.start(datastore)) {
            Cli ckpt = Cli.against(server);
            first = ckpt.run("push", "--wpar", "app01", "--json", imgA.toString()).assertOk().json().path("id").asLong();
            second = ckpt.run("push", "--wpar", "app02", "--json", imgB.toString()).assertOk().json().path("id").asLong();
            for (String[] args : new String[][] {{"verify", "--json"}, {"verify", "--full", "--json"}}) {
                Cli.Result clean = ckpt.run(args).assertOk();
                assertTrue(clean.json().path("ok").asBoolean(), clean::toString);
                assertTrue(clean.json().path("chunks_checked").asLong() > 100, clean::toString);
            }
            server.stop();
        }
        Path pack;
        try (Stream<Path> s = Files.walk(datastore.resolve("packs"))) {
            pack = s.filter(p -> p.toString().endsWith(".pack")).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
            f.seek(1000); // inside the first record: app01's first chunk
            int v = f.read();
            f.seek(1000);
            f.write(v ^ 0x10);
        }
        try (ServerProcess server = ServerProcess.start(datastore)) {
            Cli ckpt = Cli.against(server);
            Cli.Result damaged = ckpt.run("verify", "--json").assertExit(5);
            JsonNode r = damaged.json();
            assertEquals(1, r.path("damaged_chunks").asInt(), r::toString);
            assertTrue(r.path("chunk_problems").get(0).path("problem").asText().contains("CRC32C"), r::toString);
            assertEquals(1, r.path("damaged_checkpoints").size(), r::toString);
            JsonNode cp = r.path("damaged_checkpoints").get(0);
            assertEquals(first, cp.path("id").asLong(), r::toString);
            assertEquals("app01", cp.path("wpar").asText());
            assertEquals("memory-a.img", cp.path("parts").get(0).path("name").asText(), r::toString);

            Cli.Result text = ckpt.run("verify").assertExit(5);
            assertTrue(text.stdout().contains("checkpoint " + first + " of WPAR app01") && text.stdout().contains("memory-a.img"),
                    text::toString);
            assertEquals(0, ckpt.run("verify", "--wpar", "app02", "--json").assertExit(5).json()
                    .path("damaged_checkpoints").size(), "the damage does not touch app02's checkpoint " + second);
            ckpt.run("restore", "--wpar", "app02", "--id", Long.toString(second), "--to", dir.resolve("b.out").toString()).assertOk();
        }
    }
}
