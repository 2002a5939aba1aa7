package io.ckpt.it.maintenance;

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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GC on a full disk (issue 21, item 3). The datastore lives on a tmpfs the test mounts (tests run
 * as root here, and in CI), the server runs with its defaults: 256 MiB packs and a reserve of 5% of
 * the file system.
 */
class GcFullDiskTest {
    private static final long MIB = 1 << 20;

    /**
     * A 300 MiB file system filled to its reserve (uploads refused), then {@code prune --keep-last 1}
     * and {@code gc}: the full first pack, dead but for the start of the kept checkpoint, is
     * compacted with the space the reserve kept for it, and pushes are accepted again.
     */
    @Test
    @Tag("slow") // about a minute: some 300 MiB pushed through the CLI
    void datastoreFilledToItsReserveIsBroughtBackUnderItByPruneAndGc(@TempDir Path dir) throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small-fs"));
        mount(mount, "300m");
        try (ServerProcess server = ServerProcess.start(mount.resolve("datastore"))) {
            Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            // 247 MiB fill most of pack 1; the sixth checkpoint spans its last 9 MiB and the start of pack 2.
            for (int i = 1; i <= 5; i++) {
                push(ckpt, dir, i == 5 ? 47 : 50, i).assertOk();
            }
            Path kept = random(dir.resolve("kept.img"), 20 * MIB, 6);
            long keptId = ckpt.run("push", "--wpar", "full01", "--json", kept.toString()).assertOk().json().path("id").asLong();
            // Then fill it to its reserve with four pushes at once, as busy hosts do: all are refused
            // ("disk full") once the reserve is reached, and none writes into the space it keeps for GC.
            java.util.List<Path> imgs = new java.util.ArrayList<>();
            java.util.List<Cli.Running> running = new java.util.ArrayList<>();
            for (int i = 7; i < 11; i++) {
                imgs.add(random(dir.resolve("img-" + i), 40 * MIB, i));
                running.add(ckpt.command("push", "--wpar", "full01", imgs.get(imgs.size() - 1).toString()).start());
            }
            for (Cli.Running r : running) {
                Cli.Result res = r.await(Cli.DEFAULT_TIMEOUT);
                assertEquals(6, res.exitCode(), res::toString);
            }
            for (Path p : imgs) {
                Files.delete(p);
            }
            long reserve = Files.getFileStore(mount).getTotalSpace() / 20; // the default: 5% of the file system
            long left = Files.getFileStore(mount).getUsableSpace();
            assertTrue(left >= reserve - MIB, () -> "the uploads left the reserve (" + reserve + " bytes) alone: "
                    + left + " bytes free");
            Cli.Result stillRefused = push(ckpt, dir, 4, 20).assertExit(6);
            assertTrue(stillRefused.stderr().contains("disk full"), stillRefused::toString);

            ckpt.run("prune", "--wpar", "full01", "--keep-last", "1").assertOk();
            Cli.Result gc = ckpt.run("gc", "--json").assertOk();
            JsonNode report = gc.json();
            assertTrue(report.path("bytes_freed").asLong() >= 200 * MIB, () -> "the dead pack is freed: " + gc);

            long free = Files.getFileStore(mount).getUsableSpace();
            assertTrue(free >= 200 * MIB, () -> "free space is back: " + free + " bytes; " + gc);
            JsonNode pushed = push(ckpt, dir, 30, 21).assertOk().json();
            assertTrue(pushed.path("id").asLong() > keptId, pushed::toString);

            Path restored = dir.resolve("restored.img");
            ckpt.run("restore", "--wpar", "full01", "--id", Long.toString(keptId), "--to", restored.toString()).assertOk();
            assertEquals(Sha256.of(kept), Sha256.of(restored), "the kept checkpoint restores bit for bit after compaction");
            ckpt.run("verify", "--full").assertOk();
        } finally {
            run("umount", "-l", mount.toString());
        }
    }

    /**
     * A compaction that cannot be done (its pack's live chunks need more space than is free) is a
     * failure the client sees: exit 6 naming the pack and what it needs, not exit 0 with the cause
     * only in the server log. Once space is back, gc compacts it.
     */
    @Test
    @Tag("slow") // 25 to 50 s: two 20 MiB pushes and three gc runs
    void gcThatCannotCompactAPackExitsNonZeroNamingThePackAndWhy(@TempDir Path dir) throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small-fs"));
        mount(mount, "64m");
        try (ServerProcess server = ServerProcess.on(mount.resolve("datastore")).args("--pack-size", "32", "--reserve", "1")
                .start()) {
            Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            push(ckpt, dir, 20, 1).assertOk(); // pack 1: all of it
            Path kept = random(dir.resolve("kept.img"), 20 * MIB, 2);
            long keptId = ckpt.run("push", "--wpar", "full01", "--json", kept.toString()).assertOk().json().path("id").asLong();
            // pack 1 is now 32 MiB, about 12 of them the kept checkpoint's; pack 2 (open) the rest.
            ckpt.run("prune", "--wpar", "full01", "--keep-last", "1").assertOk();

            Path filler = mount.resolve("filler");
            long leave = 4 * MIB;
            long fill = Files.getFileStore(mount).getUsableSpace() - leave;
            try (var ch = java.nio.channels.FileChannel.open(filler, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) MIB);
                for (long done = 0; done < fill; done += MIB) {
                    b.clear();
                    ch.write(b);
                }
            }

            Cli.Result gc = ckpt.run("gc").assertExit(6);
            String err = gc.stderr();
            assertTrue(err.contains("pack 1") && err.contains("not compacted") && err.contains("free"),
                    () -> "names the pack and why: " + gc);

            Files.delete(filler);
            JsonNode again = ckpt.run("gc", "--json").assertOk().json();
            assertEquals(1, again.path("packs_compacted").asLong(), again::toString);
            Path restored = dir.resolve("restored.img");
            ckpt.run("restore", "--wpar", "full01", "--id", Long.toString(keptId), "--to", restored.toString()).assertOk();
            assertEquals(Sha256.of(kept), Sha256.of(restored));
        } finally {
            run("umount", "-l", mount.toString());
        }
    }

    private static Cli.Result push(Cli ckpt, Path dir, int mib, long seed) throws IOException {
        Path img = random(dir.resolve("img-" + seed), mib * MIB, seed);
        try {
            return ckpt.run("push", "--wpar", "full01", "--json", img.toString());
        } finally {
            Files.delete(img);
        }
    }

    private static Path random(Path file, long size, long seed) throws IOException {
        byte[] b = new byte[(int) size];
        new Random(seed).nextBytes(b);
        return Files.write(file, b);
    }

    private static void mount(Path mount, String size) throws Exception {
        run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mount.toString());
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", cmd) + " failed (this test mounts a small tmpfs and needs root): " + out);
        }
    }
}
