package io.ckpt.bench.macro;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ckpt.bench.corpus.CheckpointSeries;
import io.ckpt.bench.corpus.CheckpointSeries.Checkpoint;
import io.ckpt.bench.corpus.CheckpointSeries.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The macro benchmark (docs/BENCHMARKS.md, "Macro benchmark"): this machine's limits, then a
 * series of checkpoints pushed cold and incrementally into a real ckpt server with the real CLI,
 * the last restored and checked, and the same with restic and borg where they are installed.
 * Writes JSON and a markdown table. Run through {@code bench/macro}.
 */
public final class MacroBenchmark {
    private final PrintStream log = System.err;

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.println(Options.USAGE);
            return;
        }
        Options o = Options.parse(args);
        if (o == null) {
            System.err.println(Options.USAGE);
            System.exit(2);
        }
        new MacroBenchmark().run(o, String.join(" ", args));
    }

    private void run(Options o, String argLine) throws Exception {
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        double loadStart = loadAverage();
        Path runDir = o.dir().resolve("ckpt-macro-run");
        deleteTree(runDir);
        Files.createDirectories(runDir);

        log.println("macro: machine limits on " + Runtime.getRuntime().availableProcessors() + " cores...");
        Map<String, Double> limits = MachineLimits.measure(runDir.resolve("limits"), o.limitSeconds());
        log.println("macro: limits (MB/s): " + limits);

        Manifest series = CheckpointSeries.prepare(o.dir(), o.spec(), log);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();

        List<Tool> tools = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        for (String name : o.tools()) {
            Path work = runDir.resolve(name);
            switch (name) {
                case "ckpt" -> {
                    tools.add(new CkptTool(java, jcmd, o.root().resolve("server/target/ckpt-server.jar"),
                            o.root().resolve("agent/target/ckpt-client.jar"), work, o.serverJvm()));
                    versions.add("git " + gitHead(o.root()));
                }
                case "restic", "borg" -> {
                    Optional<Path> exe = onPath(name);
                    if (exe.isEmpty()) {
                        log.println("macro: " + name + " is not installed; skipped (apt-get install restic borgbackup)");
                        continue;
                    }
                    tools.add(name.equals("restic") ? new ResticTool(exe.get().toString(), work) : new BorgTool(exe.get().toString(), work));
                    versions.add(firstLine(List.of(exe.get().toString(), name.equals("restic") ? "version" : "--version")));
                }
                default -> throw new IllegalArgumentException("unknown tool " + name + " (ckpt, restic, borg)");
            }
        }
        List<MacroResults.ToolResult> results;
        try {
            results = runTools(tools, versions, o, series, runDir);
        } finally {
            for (Tool t : tools) {
                t.close();
            }
        }
        double loadEnd = loadAverage();
        String machine = Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name")
                + " " + System.getProperty("java.version") + ", " + firstLine(List.of("uname", "-sr"));
        MacroResults r = new MacroResults("bench/macro " + argLine, date, machine, loadStart, loadEnd, series, limits, results);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(o.json().toFile(), r);
        String md = MacroReport.markdown(r);
        Files.writeString(o.markdown(), md);
        System.out.println(md);
        log.println("macro: results in " + o.json() + " and " + o.markdown());
    }

    /**
     * Takes the tools in turn for each checkpoint, then for each restore, rather than one tool
     * after the other, so that a machine whose load drifts during the run skews them alike.
     */
    private List<MacroResults.ToolResult> runTools(List<Tool> tools, List<String> versions, Options o, Manifest series,
                                                   Path runDir) throws Exception {
        List<List<MacroResults.Step>> backups = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            log.println("macro: " + tools.get(i).name() + " (" + versions.get(i) + ")");
            tools.get(i).init();
            backups.add(new ArrayList<>());
        }
        for (Checkpoint c : series.checkpoints()) {
            Path dir = CheckpointSeries.dir(o.dir(), series, c);
            for (int i = 0; i < tools.size(); i++) {
                Tool tool = tools.get(i);
                warm(dir);
                long before = tool.repositoryBytes();
                Tool.Step s = tool.backup(c.index(), dir);
                long growth = tool.repositoryBytes() - before;
                MacroResults.Step step = new MacroResults.Step(c.index(), c.bytes(), s.run().seconds(), s.run().cpuSeconds(),
                        s.serverCpuSeconds(), s.run().peakRssBytes(), growth, s.toolStoredBytes(), s.sentBytes());
                backups.get(i).add(step);
                log.printf("macro: %s cp-%d: %.1f MB/s, %.2f s, stored %.1f MB (%.2f%%)%n", tool.name(), c.index(),
                        step.mbps(), step.seconds(), growth / 1e6, 100.0 * growth / c.bytes());
            }
        }
        Checkpoint last = series.checkpoints().get(series.checkpoints().size() - 1);
        List<MacroResults.ToolResult> results = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            Tool tool = tools.get(i);
            Path target = runDir.resolve(tool.name() + "-restore");
            deleteTree(target);
            Tool.Step s = tool.restore(target);
            MacroResults.Step restore = new MacroResults.Step(0, last.bytes(), s.run().seconds(), s.run().cpuSeconds(),
                    s.serverCpuSeconds(), s.run().peakRssBytes(), 0, 0, -1);
            boolean verified = sha256(find(target, CheckpointSeries.MEMORY)).equals(last.memorySha256())
                    && sha256(find(target, CheckpointSeries.ROOTFS)).equals(last.tarSha256());
            log.printf("macro: %s restore: %.1f MB/s, %.2f s, SHA-256 %s%n", tool.name(), restore.mbps(), restore.seconds(),
                    verified ? "equal to the original" : "DIFFERENT FROM THE ORIGINAL");
            deleteTree(target);
            results.add(new MacroResults.ToolResult(tool.name(), versions.get(i), backups.get(i), restore, verified,
                    tool.repositoryBytes(), tool.serverPeaks()));
        }
        return results;
    }

    /** Reads a checkpoint's files once so that every tool starts from a warm page cache. */
    private static void warm(Path dir) throws IOException {
        byte[] buf = new byte[1 << 20];
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                try (InputStream in = Files.newInputStream(f)) {
                    while (in.read(buf) >= 0) {
                        // discard
                    }
                }
            }
        }
    }

    private static Path find(Path root, String name) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().equals(name) && Files.isRegularFile(p)).findFirst()
                    .orElseThrow(() -> new IOException("restore under " + root + " holds no " + name));
        }
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static Optional<Path> onPath(String exe) {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .map(d -> Path.of(d, exe)).filter(Files::isExecutable).findFirst();
    }

    private static String firstLine(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            return out.lines().findFirst().orElse("");
        } catch (IOException | InterruptedException e) {
            return "unknown";
        }
    }

    private static String gitHead(Path root) {
        return firstLine(List.of("git", "-C", root.toString(), "rev-parse", "--short", "HEAD"));
    }

    private static double loadAverage() throws IOException {
        return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    }
}
