package io.ckpt.it.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, defect 3: compaction must make the catalog change that moves a pack's live chunks
 * (and forgets the pack) durable before it unlinks the old pack file. A kill -9 cannot show a
 * missing fsync (the WAL stays in the page cache), so this test watches the server's system
 * calls instead: strace is attached to a real server process (all its threads) while {@code ckpt
 * gc} compacts, and for every pack file unlinked, the last write to the catalog's WAL before the
 * unlink must be followed by an fsync or fdatasync of the WAL (or of the catalog) that completed
 * before the unlink. Needs strace and ptrace (.ci/run installs strace; docs/TESTING.md).
 */
class CompactionDurabilityTest {
    private static final int KIB = 1 << 10;
    /** Start (or completion) of a traced call: "PID HH:MM:SS.ffffff name(args...". */
    private static final Pattern CALL = Pattern.compile("^(\\d+)\\s+\\S+\\s+(\\w+)\\((.*)$");
    /** Completion of a call strace had to print as unfinished: "PID TIME <... name resumed>...". */
    private static final Pattern RESUMED = Pattern.compile("^(\\d+)\\s+\\S+\\s+<\\.\\.\\. (\\w+) resumed>(.*)$");
    private static final Pattern FD_PATH = Pattern.compile("^\\d+<([^>]*)>");
    private static final Pattern PACK = Pattern.compile("\"([^\"]*/packs/[0-9a-f]{2}/[0-9a-f]+\\.pack)\"");

    @Test
    void compactionFsyncsTheCatalogBeforeItUnlinksAPack(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore")).args("--pack-size", "1").start()) {
            Cli ckpt = Cli.against(server);
            // Five 768 KiB checkpoints of random data, then one that begins with gone0's first 192 KiB: once
            // the five are pruned, gone0's sealed pack is about a quarter live (compacted: its chunks move)
            // and the others are wholly dead (dropped).
            byte[] first = null;
            for (int i = 0; i < 5; i++) {
                byte[] b = new byte[768 * KIB];
                new Random(1300 + i).nextBytes(b);
                first = first == null ? b : first;
                ckpt.run("push", "--wpar", "gone" + i, Files.write(dir.resolve("gone" + i + ".img"), b).toString()).assertOk();
            }
            byte[] keep = new byte[768 * KIB];
            new Random(1399).nextBytes(keep);
            System.arraycopy(first, 0, keep, 0, 192 * KIB);
            ckpt.run("push", "--wpar", "keep", Files.write(dir.resolve("keep.img"), keep).toString()).assertOk();
            ckpt.run("prune", "--wpar", "gone*", "--keep-label", "none", "--force").assertOk();

            Path trace = dir.resolve("gc.strace");
            JsonNode gc;
            try (Strace strace = Strace.attach(server.pid(), trace, dir.resolve("strace.err"))) {
                gc = ckpt.run("gc", "--json").assertOk().json();
            }
            assertTrue(gc.path("packs_compacted").asLong() >= 1 && gc.path("bytes_rewritten").asLong() > 0,
                    "gc compacted no pack with live chunks, so the test shows nothing: " + gc);
            assertTrue(gc.path("packs_deleted").asLong() >= 1, "gc deleted no pack file: " + gc);

            List<Event> events = events(Files.readAllLines(trace));
            int unlinks = 0;
            StringBuilder unsynced = new StringBuilder();
            for (int i = 0; i < events.size(); i++) {
                Event e = events.get(i);
                if (!e.unlinkedPack()) {
                    continue;
                }
                unlinks++;
                int lastWrite = -1;
                for (int j = i - 1; j >= 0 && lastWrite < 0; j--) {
                    if (events.get(j).walWrite()) {
                        lastWrite = j;
                    }
                }
                assertTrue(lastWrite >= 0, "no write to catalog.db-wal before the unlink of a pack:\n" + e.line());
                int sync = -1;
                for (int j = lastWrite + 1; j < i && sync < 0; j++) {
                    sync = events.get(j).catalogSync() ? j : -1;
                }
                if (sync < 0) {
                    unsynced.append("the catalog's last write before this unlink was not fsynced before it:\n")
                            .append(excerpt(events, lastWrite, i));
                } else {
                    System.out.printf("pack unlinked after the catalog's fsync:%n%s", excerpt(events, lastWrite, i));
                }
            }
            if (unsynced.length() > 0) {
                fail("compaction unlinked a pack before its catalog change (moves, pack row deleted) was durable: a power"
                        + " loss would roll the rows back onto a deleted file. Trace, from the catalog's"
                        + " last write to the unlink, catalog and pack calls only:\n" + unsynced + "gc: " + gc);
            }
            assertEquals(gc.path("packs_deleted").asLong(), unlinks,
                    "pack unlinks seen in the trace against gc's report " + gc);
            // The server is unharmed by the tracing, and the moved chunks read back.
            Path back = dir.resolve("keep.back");
            ckpt.run("restore", "--wpar", "keep", "--latest", "--to", back.toString()).assertOk();
            assertTrue(Arrays.equals(keep, Files.readAllBytes(back)), "keep restored after gc differs");
            JsonNode verify = ckpt.run("verify", "--json").assertOk().json();
            assertTrue(verify.path("ok").asBoolean(), "verify after gc: " + verify);
            server.stop();
        }
    }

    /**
     * One completed system call, in the order of completion for writes and syncs (what matters is
     * that they finished) and of start for unlinks (what matters is that it had not begun).
     */
    private record Event(String name, String target, String line) {
        boolean walWrite() {
            return (name.equals("write") || name.equals("pwrite64")) && target.endsWith("/catalog.db-wal");
        }

        boolean catalogSync() {
            return (name.equals("fsync") || name.equals("fdatasync"))
                    && (target.endsWith("/catalog.db-wal") || target.endsWith("/catalog.db"));
        }

        boolean unlinkedPack() {
            return (name.equals("unlink") || name.equals("unlinkat")) && PACK.matcher(line).find() && line.contains("= 0");
        }
    }

    private static List<Event> events(List<String> lines) {
        List<Event> out = new ArrayList<>();
        Map<String, String[]> unfinished = new HashMap<>(); // pid -> name, target, first line
        for (String line : lines) {
            Matcher r = RESUMED.matcher(line);
            if (r.find()) {
                String[] started = unfinished.remove(r.group(1));
                if (started != null && !started[0].startsWith("unlink")) {
                    out.add(new Event(started[0], started[1], started[2] + " ... " + line));
                }
                continue;
            }
            Matcher c = CALL.matcher(line);
            if (!c.find()) {
                continue; // "+++ exited", signals, "strace: Process attached"
            }
            String name = c.group(2);
            Matcher fd = FD_PATH.matcher(c.group(3));
            String target = name.startsWith("unlink") || name.equals("rename") ? c.group(3) : fd.find() ? fd.group(1) : "";
            if (name.startsWith("unlink")) {
                out.add(new Event(name, target, line)); // at its start
                if (line.contains("<unfinished ...>")) {
                    unfinished.put(c.group(1), new String[] {name, target, line});
                }
            } else if (line.contains("<unfinished ...>")) {
                unfinished.put(c.group(1), new String[] {name, target, line});
            } else {
                out.add(new Event(name, target, line));
            }
        }
        return out;
    }

    /** The catalog and pack events from {@code from} to {@code to}, other writes left out. */
    private static String excerpt(List<Event> events, int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int j = from; j <= to; j++) {
            Event e = events.get(j);
            if (e.target().contains("catalog.db") || e.target().contains(".pack") || e.name().startsWith("unlink")
                    || e.name().equals("rename")) {
                b.append("  ").append(e.line()).append('\n');
            }
        }
        return b.toString();
    }

    /** strace attached to every thread of a running process, writing its trace to a file until closed. */
    private static final class Strace implements AutoCloseable {
        private final Process process;
        private final Path err;

        private Strace(Process process, Path err) {
            this.process = process;
            this.err = err;
        }

        /** Attaches and returns once strace reports every thread the process has now attached. */
        static Strace attach(long pid, Path out, Path err) throws IOException, InterruptedException {
            int threads;
            try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                threads = (int) tasks.count();
            }
            Process p = new ProcessBuilder("strace", "-f", "-tt", "-y", "-s", "4", "-e",
                    "trace=write,pwrite64,fsync,fdatasync,unlink,unlinkat,rename", "-o", out.toString(),
                    "-p", Long.toString(pid)).redirectErrorStream(true).redirectOutput(err.toFile()).start();
            Strace s = new Strace(p, err);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (s.attached() < threads) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    s.close();
                    fail("strace did not attach to the " + threads + " threads of server pid " + pid
                            + " (is strace installed, is ptrace allowed?): " + Files.readString(err));
                }
                Thread.sleep(50);
            }
            return s;
        }

        /** Threads attached so far: strace 6 says "Process N attached with T threads", older ones a line per thread. */
        private int attached() throws IOException {
            Matcher m = Pattern.compile("Process \\d+ attached(?: with (\\d+) threads)?").matcher(Files.readString(err));
            int n = 0;
            while (m.find()) {
                n += m.group(1) == null ? 1 : Integer.parseInt(m.group(1));
            }
            return n;
        }

        /** SIGTERM: strace detaches (the server goes on) and flushes its output. */
        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
