package io.ckpt.it.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.testkit.ServerProcess;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `ckpt alerts` as a monitoring check: quiet (exit 0) on a healthy server; after an upload is
 * refused below the free-space reserve it reports disk-reserve (exit 1, text and JSON); once the
 * space is back it clears without a restart or another upload, and uploads work again. The
 * datastore lives on a 24 MiB tmpfs the test mounts (root, as DiskFullTest), filled by a file
 * beside the datastore.
 */
class AlertsTest {
    private static final long MIB = 1 << 20;

    @Test
    void reserveAlertIsReportedAfterARefusedUploadAndClearsWhenSpaceIsBack(@TempDir Path dir) throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small-fs"));
        run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount.toString());
        try {
            Path image = MemoryImage.ofSize(5, 256L << 10).writeTo(dir.resolve("small.img"));
            try (ServerProcess server = ServerProcess.on(mount.resolve("datastore")).args("--reserve", "8").start()) {
                Cli ckpt = Cli.against(server);
                Cli.Result quiet = ckpt.run("alerts").assertOk();
                assertEquals("no active alerts", quiet.stdout().strip(), quiet::toString);

                Path filler = mount.resolve("filler");
                long free = Files.getFileStore(mount).getUsableSpace();
                allocate(filler, free - 4 * MIB); // leaves ~4 MiB: below the 8 MiB reserve
                ckpt.run("push", "--wpar", "alert01", image.toString()).assertExit(6);
                ckpt.run("push", "--wpar", "alert01", image.toString()).assertExit(6);

                Cli.Result active = ckpt.run("alerts", "--json").assertExit(1);
                JsonNode alerts = active.json().path("alerts");
                assertEquals(1, alerts.size(), active::toString);
                JsonNode a = alerts.get(0);
                assertEquals("disk-reserve", a.path("key").asText(), active::toString);
                assertEquals("critical", a.path("severity").asText(), active::toString);
                Instant since = Instant.parse(a.path("since").asText());
                assertTrue(since.isAfter(Instant.now().minusSeconds(300)), active::toString);
                assertTrue(a.path("message").asText().matches("uploads are refused: only .* free .* below its reserve of 8\\.0 MiB.*"),
                        active::toString);

                Cli.Result text = ckpt.run("alerts").assertExit(1);
                assertTrue(text.stdout().startsWith("CRITICAL disk-reserve since " + since + ": uploads are refused"),
                        text::toString);

                Files.delete(filler);
                Cli.Result cleared = ckpt.run("alerts").assertOk();
                assertEquals("no active alerts", cleared.stdout().strip(), cleared::toString);
                ckpt.run("push", "--wpar", "alert01", image.toString()).assertOk();

                String log = server.log();
                assertEquals(1, count(log, "ERROR Alerts - alert disk-reserve raised: uploads are refused"),
                        () -> "raised once for two refusals and two queries:\n" + log);
                assertEquals(1, count(log, "INFO Alerts - alert disk-reserve cleared"), () -> "cleared once:\n" + log);
            }
        } finally {
            run("umount", "-l", mount.toString());
        }
    }

    private static long count(String log, String what) {
        return Pattern.compile(Pattern.quote(what)).matcher(log).results().count();
    }

    /** Writes real blocks (tmpfs has no sparse-file space accounting to rely on). */
    private static void allocate(Path file, long bytes) throws Exception {
        byte[] block = new byte[1 << 20];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            for (long left = bytes; left > 0; left -= block.length) {
                f.write(block, 0, (int) Math.min(left, block.length));
            }
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", cmd) + " failed (this test mounts a small tmpfs and needs root): " + out);
        }
    }
}
