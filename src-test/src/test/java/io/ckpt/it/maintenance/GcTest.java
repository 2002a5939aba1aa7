package io.ckpt.it.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.Sha256;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage collection beside running uploads and restores: nothing a checkpoint uses is lost, an
 * upload that deduplicates against garbage while GC runs keeps its chunks, and the space only the
 * pruned checkpoints held comes back.
 */
@Tag("slow") // long: run by .ci/run after the default suite, which stays under 15 minutes
class GcTest {
    private static final int MIB = 1 << 20;

    @Test
    void gcBesideUploadsAndRestoresLosesNothingAndReclaimsThePrunedBytes(@TempDir Path dir) throws Exception {
        Map<String, Path> images = new LinkedHashMap<>();
        for (String w : new String[] {"gone1", "gone2", "gone3", "keep1", "keep2", "keep3"}) {
            byte[] b = new byte[8 * MIB];
            new Random(w.hashCode()).nextBytes(b);
            images.put(w, Files.write(dir.resolve(w + ".img"), b));
        }
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore")).args("--pack-size", "1").start()) {
            Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            Map<String, Long> ids = new LinkedHashMap<>();
            long removedStored = 0;
            long onlyRemovedHeld = 0; // gone2 and gone3: gone1's bytes are uploaded again below, so they stay in use
            for (var e : images.entrySet()) {
                JsonNode pushed = ckpt.run("push", "--wpar", e.getKey(), "--json", e.getValue().toString()).assertOk().json();
                ids.put(e.getKey(), pushed.path("id").asLong());
                if (e.getKey().startsWith("gone")) {
                    removedStored += pushed.path("stored_bytes").asLong();
                }
                if (e.getKey().equals("gone2") || e.getKey().equals("gone3")) {
                    onlyRemovedHeld += pushed.path("stored_bytes").asLong();
                }
            }
            ckpt.run("prune", "--wpar", "gone*", "--keep-label", "none", "--force").assertOk();
            JsonNode dry = ckpt.run("gc", "--dry-run", "--json").assertOk().json();
            assertTrue(dry.path("bytes_removed").asLong() >= removedStored * 9 / 10, dry::toString);

            // While GC runs: re-upload gone1's bytes (deduplicating against garbage being swept) and restore keep1.
            AtomicBoolean stop = new AtomicBoolean();
            List<Long> busy = new CopyOnWriteArrayList<>();
            List<String> failures = new CopyOnWriteArrayList<>();
            String keep1Sha = Sha256.of(images.get("keep1"));
            Thread load = new Thread(() -> {
                while (!stop.get()) {
                    Cli.Result r = ckpt.run("push", "--wpar", "busy", "--json", images.get("gone1").toString());
                    if (r.exitCode() == 0) {
                        busy.add(r.json().path("id").asLong());
                    } else {
                        failures.add(r.toString());
                    }
                    Sha256.Sink sink = new Sha256.Sink();
                    Cli.Result restored = ckpt.command("restore", "--wpar", "keep1", "--id", ids.get("keep1").toString(),
                            "--to", "-").stdout(sink).run();
                    if (restored.exitCode() != 0 || !sink.hex().equals(keep1Sha)) {
                        failures.add("restore during gc: " + restored);
                    }
                }
            });
            load.start();
            JsonNode gc;
            try {
                Thread.sleep(500);
                gc = ckpt.run("gc", "--json").assertOk().json();
                Thread.sleep(500);
            } finally {
                stop.set(true);
                load.join(120_000);
            }
            assertEquals(List.of(), failures);
            assertTrue(!busy.isEmpty(), "uploads ran beside gc");
            long net = gc.path("bytes_freed").asLong() - gc.path("bytes_rewritten").asLong();
            System.out.printf("gc: removed checkpoints stored %d bytes; freed %d, rewrote %d, net %d (%.1f%%)%n", removedStored,
                    gc.path("bytes_freed").asLong(), gc.path("bytes_rewritten").asLong(), net, 100.0 * net / removedStored);

            // A second run catches what restores kept the first from deleting, and what the busy uploads left.
            ckpt.run("gc", "--json").assertOk();
            JsonNode total = ckpt.run("gc", "--json").assertOk().json();
            assertEquals(0, total.path("packs_waiting_for_restores").asLong(), total::toString);

            // Everything the catalog still lists restores bit for bit.
            for (String w : new String[] {"keep1", "keep2", "keep3"}) {
                assertEquals(Sha256.of(images.get(w)), restoreSha(ckpt, w, ids.get(w)), w);
            }
            String gone1 = Sha256.of(images.get("gone1"));
            for (long id : busy) {
                assertEquals(gone1, restoreSha(ckpt, "busy", id), "busy checkpoint " + id + " deduplicated against garbage");
            }
            assertTrue(ckpt.run("verify", "--full", "--json").assertOk().json().path("ok").asBoolean());
            assertTrue(net >= onlyRemovedHeld * 9 / 10, "reclaimed " + net + " of the " + onlyRemovedHeld
                    + " bytes only pruned checkpoints held: " + gc);
        }
    }

    @Test
    void gcAfterPruneReclaimsAtLeastNinetyPercentOfWhatOnlyPrunedCheckpointsHeld(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore")).args("--pack-size", "1").start()) {
            Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            long removed = 0;
            List<Path> kept = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                byte[] b = new byte[8 * MIB];
                new Random(100 + i).nextBytes(b);
                Path img = Files.write(dir.resolve("i" + i), b);
                String wpar = i < 3 ? "old" + i : "new" + i;
                long stored = ckpt.run("push", "--wpar", wpar, "--json", img.toString()).assertOk().json().path("stored_bytes").asLong();
                if (i < 3) {
                    removed += stored;
                } else {
                    kept.add(img);
                }
            }
            long before = packBytes(dir.resolve("datastore"));
            ckpt.run("prune", "--wpar", "old*", "--keep-label", "none", "--force").assertOk();
            ckpt.run("gc").assertOk();
            long after = packBytes(dir.resolve("datastore"));
            System.out.printf("gc: pack files %d -> %d bytes; pruned checkpoints held %d (%.1f%% reclaimed)%n",
                    before, after, removed, 100.0 * (before - after) / removed);
            assertTrue(before - after >= removed * 9 / 10, "reclaimed " + (before - after) + " of " + removed);
            for (int i = 3; i < 6; i++) {
                assertEquals(Sha256.of(kept.get(i - 3)), restoreSha(ckpt, "new" + i, -1), "new" + i);
            }
        }
    }

    private static long packBytes(Path datastore) throws Exception {
        try (var s = Files.walk(datastore.resolve("packs"))) {
            return s.filter(p -> p.toString().endsWith(".pack")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static String restoreSha(Cli ckpt, String wpar, long id) {
        Sha256.Sink sink = new Sha256.Sink();
        List<String> args = new ArrayList<>(List.of("restore", "--wpar", wpar, "--to", "-"));
        if (id > 0) {
            args.addAll(List.of("--id", Long.toString(id)));
        } else {
            args.add("--latest");
        }
        ckpt.command(args.toArray(String[]::new)).stdout(sink).run().assertOk();
        return sink.hex();
    }
}
