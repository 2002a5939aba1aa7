package io.ckpt.it.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.testkit.ServerProcess;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ckpt verify finds a flipped byte in a pack and names the checkpoints and parts it breaks; the
 * scheduled verify reads its configured share of the packs per run and logs damage as an ERROR.
 */
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
        flipByte(firstPack(datastore), 1000); // inside the first record: app01's first chunk
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

    @Test
    void scheduledShareRunsRotateThroughThePacksAndLogTheDamagedCheckpoint(@TempDir Path dir) throws Exception {
        byte[] a = new byte[3 << 20];
        new Random(21).nextBytes(a);
        Path imgA = Files.write(dir.resolve("memory-a.img"), a);
        Path datastore = dir.resolve("datastore");
        long first;
        try (ServerProcess server = ServerProcess.on(datastore).args("--pack-size", "1").start()) {
            first = Cli.against(server).run("push", "--wpar", "app01", "--json", imgA.toString()).assertOk().json().path("id").asLong();
            server.stop();
        }
        flipByte(firstPack(datastore), 1000); // inside the first record of pack 1: app01's first chunk
        Path config = Files.writeString(dir.resolve("server.yaml"), "schedule: { verify: 1s, verify-share: 50% }\n");
        try (ServerProcess server = ServerProcess.on(datastore).args("--pack-size", "1", "--config", config.toString()).start()) {
            server.awaitLog(Pattern.compile("verify of 50% of the packs runs every PT1S"), Duration.ofSeconds(10));
            // Each run reads half of the packs (a clean one and the damaged one, in some order), so
            // within two runs the one that reads pack 1 logs the damage, naming the checkpoint.
            server.awaitLog(Pattern.compile("verify of 50% of the packs \\(pack ids \\d+ to \\d+\\): .* 0 damaged"),
                    Duration.ofSeconds(30));
            server.awaitLog(Pattern.compile("verify of 50% of the packs \\(pack ids 1 to \\d+\\): .* 1 damaged"),
                    Duration.ofSeconds(30));
            server.awaitLog(Pattern.compile("ERROR .*scheduled verify found damage: 1 chunk\\(s\\), checkpoints \\[" + first + "\\]"),
                    Duration.ofSeconds(30));

            // The damage is the verify-damage alert; a clean 50% run after it (the other half of the
            // packs) does not clear it, so it is raised once and never cleared while pack 1 stays damaged.
            int afterDamage = server.logMark();
            server.awaitLog(afterDamage, Pattern.compile("verify of 50% of the packs \\(pack ids \\d+ to \\d+\\): .* 0 damaged"),
                    Duration.ofSeconds(30));
            Cli.Result alerts = Cli.against(server).run("alerts", "--json").assertExit(1);
            JsonNode alert = alerts.json().path("alerts").path(0);
            assertEquals("verify-damage", alert.path("key").asText(), alerts::toString);
            assertEquals("critical", alert.path("severity").asText(), alerts::toString);
            assertTrue(alert.path("message").asText().contains("checkpoints [" + first + "]"), alerts::toString);
            String log = server.log();
            assertEquals(1, log.split("alert verify-damage raised", -1).length - 1, () -> "raised once:\n" + log);
            assertFalse(log.contains("alert verify-damage cleared"), () -> "not cleared by a run that skipped pack 1:\n" + log);

            // A reload with a share out of range is refused; the running share goes on.
            Files.writeString(config, "schedule: { verify: 1s, verify-share: 0% }\n");
            int mark = server.logMark();
            new ProcessBuilder("kill", "-HUP", Long.toString(server.pid())).inheritIO().start().waitFor();
            server.awaitLog(mark, Pattern.compile("config reload failed, keeping the running config: "
                    + "server.yaml: schedule.verify-share: '0%' is not a share of the packs"), Duration.ofSeconds(30));
            server.awaitLog(mark, Pattern.compile("verify of 50% of the packs \\(pack ids"), Duration.ofSeconds(30));
        }
    }

    private static Path firstPack(Path datastore) throws Exception {
        try (Stream<Path> s = Files.walk(datastore.resolve("packs"))) {
            return s.filter(p -> p.toString().endsWith(".pack")).sorted().findFirst().orElseThrow();
        }
    }

    private static void flipByte(Path file, long position) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(position);
            int v = f.read();
            f.seek(position);
            f.write(v ^ 0x10);
        }
    }
}
