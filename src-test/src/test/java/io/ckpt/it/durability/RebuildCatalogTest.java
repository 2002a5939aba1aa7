package io.ckpt.it.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.it.Cli;
import io.ckpt.it.Sha256;
import io.ckpt.testkit.ChildClasspath;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog is lost (deleted with the server stopped): {@code ckpt server rebuild-catalog}
 * recreates it from packs, manifests and the journal, and the server then lists exactly what it
 * listed before (health marks, protection, labels, LKG included) and restores the same bytes.
 */
@Tag("slow") // long: run by .ci/run after the default suite, which stays under 15 minutes
public class RebuildCatalogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void rebuiltCatalogListsAndRestoresWhatTheLostOneDid(@TempDir Path dir) throws Exception {
        Path datastore = dir.resolve("datastore");
        ServerProcess server = ServerProcess.on(datastore).args("--pack-size", "1").start();
        try {
            Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            Random random = new Random(77);
            byte[] base = new byte[1 << 20];
            random.nextBytes(base);
            for (int i = 0; i < 5; i++) {
                byte[] img = base.clone();
                for (int j = 0; j < 100_000; j++) {
                    img[(i * 150_000 + j) % img.length] ^= (byte) (i + 1);
                }
                Path file = Files.write(dir.resolve("web-" + i + ".img"), img);
                List<String> args = new ArrayList<>(List.of("push", "--wpar", "web01", "--taken-at",
                        "2026-11-0" + (i + 1) + "T10:00:00Z", "--health", i < 3 ? "good" : "unknown"));
                if (i == 1) {
                    args.addAll(List.of("--label", "pre-upgrade", "--label", "ticket=42"));
                }
                args.add(file.toString());
                ckpt.run(args.toArray(String[]::new)).assertOk();
            }
            Path tree = ToyTree.create(dir.resolve("db-tree"));
            ckpt.run("push", "--wpar", "db01", "--taken-at", "2026-11-02T00:00:00Z", tree.toString()).assertOk();
            Files.writeString(tree.resolve("data/table.dat"), "changed rows\n", StandardCharsets.UTF_8);
            ckpt.run("push", "--wpar", "db01", "--taken-at", "2026-11-03T00:00:00Z", "--health", "good", tree.toString()).assertOk();
            ckpt.command("push", "--wpar", "batch01", "--name", "stdout", "-").stdin("a stream checkpoint\n".getBytes()).run().assertOk();

            JsonNode web = ckpt.run("list", "--wpar", "web01", "--json").assertOk().json().path("checkpoints");
            long web1 = web.get(0).path("id").asLong();
            long web3 = web.get(2).path("id").asLong(); // pruned below: its journal event outlives it
            long web4 = web.get(3).path("id").asLong();
            long db1 = ckpt.run("list", "--wpar", "db01", "--json").assertOk().json().path("checkpoints").get(0).path("id").asLong();
            ckpt.run("mark-bad", String.valueOf(web3), "--reason", "app did not answer").assertOk();
            ckpt.run("mark-bad", String.valueOf(web4), "--reason", "port 80 closed").assertOk();
            ckpt.run("mark-good", String.valueOf(db1)).assertOk();
            ckpt.run("protect", String.valueOf(web1)).assertOk();
            ckpt.run("protect", String.valueOf(web4)).assertOk();
            ckpt.run("unprotect", String.valueOf(web4)).assertOk();
            // Journal events for checkpoints that then go, and packs compacted by gc.
            ckpt.run("prune", "--wpar", "web01", "--keep-last", "2").assertOk();
            ckpt.run("gc").assertOk();
            ckpt.run("push", "--wpar", "web01", "--taken-at", "2026-11-09T10:00:00Z",
                    dir.resolve("web-4.img").toString()).assertOk();

            JsonNode before = ckpt.run("list", "--json").assertOk().json().path("checkpoints");
            long maxIdBefore = maxId(before);
            Map<Long, String> restoredBefore = restoreAll(ckpt, before, dir.resolve("before"));
            assertTrue(before.size() >= 7, before.toString());
            server.stop();

            for (String f : new String[] {"catalog.db", "catalog.db-wal", "catalog.db-shm"}) {
                Files.deleteIfExists(datastore.resolve(f));
            }
            Exited lostCatalog = runServerCommand("--datastore", datastore.toString(), "--listen", "127.0.0.1:0", "--http", "off");
            assertEquals(1, lostCatalog.exitCode, lostCatalog.output);
            assertTrue(lostCatalog.output.contains("rebuild-catalog"), "the refusal points at the cure: " + lostCatalog.output);

            Exited rebuild = runServerCommand("rebuild-catalog", "--datastore", datastore.toString(), "--json");
            assertEquals(0, rebuild.exitCode, rebuild.output);
            JsonNode report = JSON.readTree(rebuild.output.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
            assertEquals(before.size(), report.path("checkpoints").asInt(), report.toString());
            assertTrue(report.path("ok").asBoolean(), report.toString());
            assertTrue(report.path("journal_events_for_removed_checkpoints").asInt() > 0,
                    "the pruned checkpoints' journal events are recognised as such: " + report);

            server = server.restart();
            ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            JsonNode after = ckpt.run("list", "--json").assertOk().json().path("checkpoints");
            assertEquals(before, after, "list after the rebuild");
            assertEquals("bad", find(after, web4).path("health").asText());
            assertEquals("port 80 closed", find(after, web4).path("health_reason").asText());
            assertTrue(find(after, web1).path("protected").asBoolean());
            assertEquals(restoredBefore, restoreAll(ckpt, after, dir.resolve("after")), "restores after the rebuild");
            assertTrue(ckpt.run("verify", "--full", "--json").assertOk().json().path("ok").asBoolean());

            // New checkpoints never take the id of one that existed before the loss.
            JsonNode pushed = ckpt.command("push", "--wpar", "batch01", "--json", "-").stdin("next\n".getBytes()).run().assertOk().json();
            assertTrue(pushed.path("id").asLong() > maxIdBefore, pushed + " after ids up to " + maxIdBefore);
            // And the old catalog's events still apply to a second rebuild, made from the new journal.
            ckpt.run("mark-good", String.valueOf(web4)).assertOk();
            JsonNode beforeSecond = ckpt.run("list", "--json").assertOk().json();
            server.stop();
            Exited second = runServerCommand("rebuild-catalog", "--datastore", datastore.toString());
            assertEquals(0, second.exitCode, second.output);
            assertTrue(second.output.contains("old catalog moved to"), "an existing catalog is moved aside: " + second.output);
            try (Stream<Path> s = Files.list(datastore)) {
                assertTrue(s.anyMatch(p -> p.getFileName().toString().startsWith("catalog.db.before-rebuild-")));
            }
            server = server.restart();
            assertEquals(beforeSecond, Cli.against(server).run("list", "--json").assertOk().json());
        } finally {
            server.close();
        }
    }

    @Test
    void damagedManifestOrPackLeavesOnlyThoseCheckpointsOut(@TempDir Path dir) throws Exception {
        Path datastore = dir.resolve("datastore");
        ServerProcess server = ServerProcess.on(datastore).start();
        List<Path> images = new ArrayList<>();
        try {
            Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            for (int i = 0; i < 3; i++) {
                byte[] b = new byte[1 << 20];
                new Random(900 + i).nextBytes(b);
                images.add(Files.write(dir.resolve("w" + i + ".img"), b));
                ckpt.run("push", "--wpar", "w" + i, images.get(i).toString()).assertOk();
            }
            server.stop();
        } finally {
            server.close();
        }
        long w0 = 1;
        long w1 = 2;
        // w0: its manifest is cut short. w1: a byte of one of its chunks flips in the pack.
        Path m0 = datastore.resolve("manifests").resolve(String.format("%016x.manifest", w0));
        byte[] m = Files.readAllBytes(m0);
        Files.write(m0, java.util.Arrays.copyOf(m, m.length - 10));
        Path pack;
        try (Stream<Path> s = Files.walk(datastore.resolve("packs"))) {
            pack = s.filter(p -> p.toString().endsWith(".pack")).findFirst().orElseThrow();
        }
        byte[] w1Bytes = Files.readAllBytes(images.get(1));
        flipFirstOccurrence(pack, java.util.Arrays.copyOfRange(w1Bytes, 100_000, 100_064));
        Files.delete(datastore.resolve("catalog.db"));

        Exited rebuild = runServerCommand("rebuild-catalog", "--datastore", datastore.toString());
        assertEquals(5, rebuild.exitCode, "damage found: " + rebuild.output);
        assertTrue(rebuild.output.contains("LEFT OUT: checkpoint " + w0 + ":"), rebuild.output);
        assertTrue(rebuild.output.contains("manifest is truncated"), rebuild.output);
        assertTrue(rebuild.output.contains("LEFT OUT: checkpoint " + w1 + ": WPAR w1"), rebuild.output);
        assertTrue(rebuild.output.contains("DAMAGED: " + pack), rebuild.output);
        assertTrue(Files.exists(datastore.resolve("manifests/left-out").resolve(String.format("%016x.manifest", w1))),
                "a left-out manifest is kept aside, out of reach of start-up recovery");

        server = ServerProcess.on(datastore).start();
        try {
            Cli ckpt = Cli.against(server).jvm(Cli.BULK_JVM);
            JsonNode list = ckpt.run("list", "--json").assertOk().json().path("checkpoints");
            assertEquals(1, list.size(), "only the intact checkpoint is listed: " + list);
            assertEquals("w2", list.get(0).path("wpar").asText());
            Sha256.Sink sink = new Sha256.Sink();
            ckpt.command("restore", "--wpar", "w2", "--latest", "--to", "-").stdout(sink).run().assertOk();
            assertEquals(Sha256.of(images.get(2)), sink.hex());
        } finally {
            server.close();
        }
    }

    // --- helpers ----------------------------------------------------------------------------

    public record Exited(int exitCode, String output) {}

    /** Runs {@code ckpt server ARGS} (the server's main) to its end. */
    public static Exited runServerCommand(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ServerProcess.javaBinary(), "-XX:+UseSerialGC", "-cp", ChildClasspath.get(),
                "io.ckpt.server.ServerMain"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS), "server command did not end: " + cmd);
        return new Exited(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static JsonNode find(JsonNode list, long id) {
        for (JsonNode c : list) {
            if (c.path("id").asLong() == id) {
                return c;
            }
        }
        throw new AssertionError("checkpoint " + id + " not in " + list);
    }

    private static long maxId(JsonNode list) {
        long max = 0;
        for (JsonNode c : list) {
            max = Math.max(max, c.path("id").asLong());
        }
        return max;
    }

    /**
     * Restores the newest checkpoint of each WPAR and the oldest listed one (each restore starts a
     * JVM; verify --full checks the rest) and returns a digest of each (file bytes, or a tree listing).
     */
    private static Map<Long, String> restoreAll(Cli ckpt, JsonNode list, Path into) throws IOException {
        Map<String, JsonNode> newest = new TreeMap<>();
        for (JsonNode c : list) {
            newest.merge(c.path("wpar").asText(), c, (a, b) -> b.path("taken_at").asText().compareTo(a.path("taken_at").asText()) > 0 ? b : a);
        }
        List<JsonNode> chosen = new ArrayList<>(newest.values());
        chosen.add(list.get(0));
        Map<Long, String> out = new TreeMap<>();
        for (JsonNode c : chosen) {
            long id = c.path("id").asLong();
            Path target = into.resolve(Long.toString(id));
            Files.createDirectories(into);
            ckpt.run("restore", "--wpar", c.path("wpar").asText(), "--id", Long.toString(id), "--to", target.toString())
                    .assertOk();
            out.put(id, treeDigest(target));
        }
        return out;
    }

    private static String treeDigest(Path root) throws IOException {
        if (Files.isRegularFile(root)) {
            return Sha256.of(root);
        }
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted().toList()) {
                sb.append(root.relativize(p)).append(' ');
                if (Files.isSymbolicLink(p)) {
                    sb.append("-> ").append(Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    sb.append(Sha256.of(p));
                } else {
                    sb.append("dir");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private static void flipFirstOccurrence(Path file, byte[] needle) throws IOException {
        byte[] all = Files.readAllBytes(file);
        for (int i = 0; i + needle.length <= all.length; i++) {
            if (java.util.Arrays.equals(all, i, i + needle.length, needle, 0, needle.length)) {
                all[i + 10] ^= 0x40;
                Files.write(file, all);
                return;
            }
        }
        throw new AssertionError("bytes not found in " + file + " (compressed?)");
    }

    /** A small directory tree with a subdirectory, files and a symbolic link. */
    static final class ToyTree {
        static Path create(Path root) throws IOException {
            Files.createDirectories(root.resolve("data"));
            Files.writeString(root.resolve("data/table.dat"), "rows\n".repeat(1000));
            Files.writeString(root.resolve("config.ini"), "[db]\nport=5000\n");
            Files.createSymbolicLink(root.resolve("current"), Path.of("data/table.dat"));
            return root;
        }
    }
}
