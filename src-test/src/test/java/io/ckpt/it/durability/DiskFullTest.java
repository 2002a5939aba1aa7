package io.ckpt.it.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.Sha256;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A datastore on a full file system: the upload that hits the limit fails with one line that
 * says the disk is full and what to do (exit 6), leaves no checkpoint, and every checkpoint
 * stored before it still restores bit for bit. The datastore lives on a 48 MiB tmpfs that the
 * test mounts (tests run as root here, and in CI).
 */
class DiskFullTest {
    @Test
    void uploadThatFillsTheDiskFailsWithDiskFullAndDamagesNothing(@TempDir Path dir) throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small-fs"));
        run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString());
        try {
            Path before = random(dir.resolve("before.img"), 16 << 20, 1);
            Path tooBig = random(dir.resolve("too-big.img"), 64 << 20, 2);
            try (ServerProcess server = ServerProcess.start(mount.resolve("datastore"))) {
                Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
                long first = ckpt.run("push", "--wpar", "full01", "--json", before.toString()).assertOk().json()
                        .path("id").asLong();

                Cli.Result full = ckpt.run("push", "--wpar", "full01", tooBig.toString()).assertExit(6);
                String err = full.stderr().strip();
                assertEquals(1, err.lines().filter(l -> l.startsWith("ckpt:")).count(), () -> "one error line: " + full);
                assertTrue(err.contains("disk full") && err.contains("free space"), () -> "says what and what to do: " + full);

                JsonNode list = ckpt.run("list", "--all", "--json").assertOk().json();
                assertEquals(1, list.path("checkpoints").size(), () -> "only the first checkpoint is there: " + list);
                assertEquals(first, list.path("checkpoints").get(0).path("id").asLong());

                Path restored = dir.resolve("restored.img");
                ckpt.run("restore", "--wpar", "full01", "--id", Long.toString(first), "--to", restored.toString()).assertOk();
                assertEquals(Sha256.of(before), Sha256.of(restored), "the earlier checkpoint restores bit for bit");
            }
        } finally {
            run("umount", "-l", mount.toString());
        }
    }

    private static Path random(Path file, int size, long seed) throws IOException {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return Files.write(file, b);
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", cmd) + " failed (this test mounts a small tmpfs and needs root): " + out);
        }
    }
}
