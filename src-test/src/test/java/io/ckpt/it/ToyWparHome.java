package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.testkit.ServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@code TOYWPAR_HOME} directory and the toy WPAR's tools of {@code contrib/toywpar} run against
 * it: the fake AIX commands in {@code bin/} and {@code ToyWpar.java status} and {@code inspect}.
 * The toys run detached (the fake commands start them with {@code setsid}); the end of the test JVM
 * kills any this class started that are still running, so none outlives the suite.
 */
public final class ToyWparHome {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final Set<Path> ROOTS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ROOTS.forEach(ToyWparHome::killToy), "kill-toy-wpars"));
    }

    private final Path contrib;
    private final Path home;
    private final Map<String, String> env;

    private ToyWparHome(Path contrib, Path home, Map<String, String> env) {
        this.contrib = contrib;
        this.home = home;
        this.env = env;
    }

    /**
     * A toy home in {@code home} (created), using the repository's {@code contrib/toywpar}. The repository
     * root is the parent of the working directory Maven runs {@code src-test}'s tests in, or the working
     * directory itself (a run from the root).
     *
     * @param tickMillis the toy's tick (TOYWPAR_TICK_MS)
     */
    public static ToyWparHome create(Path home, int tickMillis) throws IOException {
        Files.createDirectories(home);
        return new ToyWparHome(contrib(), home, Map.of("TOYWPAR_HOME", home.toString(),
                "TOYWPAR_TICK_MS", Integer.toString(tickMillis), "TOYWPAR_TIMEOUT", "30"));
    }

    private static Path contrib() {
        Path cwd = Path.of("").toAbsolutePath();
        for (Path root : new Path[] {cwd.getParent(), cwd}) {
            if (root != null && Files.isExecutable(root.resolve("contrib/toywpar/bin/chkptwpar"))) {
                return root.resolve("contrib/toywpar");
            }
        }
        throw new AssertionError("contrib/toywpar/bin/chkptwpar not found (or not executable) under " + cwd
                + " or its parent: run the tests from the repository root or from src-test/");
    }

    /** The environment every user of this home needs: TOYWPAR_HOME and the toy's settings. */
    public Map<String, String> env() {
        return env;
    }

    public Path home() {
        return home;
    }

    /** {@code $TOYWPAR_HOME/NAME}: the toy's root, with {@code data/} and {@code run/}. */
    public Path root(String wpar) {
        return home.resolve(wpar);
    }

    /** The fake AIX command {@code name} ({@code chkptwpar}, ...), as an absolute path for configs. */
    public Path command(String name) {
        return contrib.resolve("bin").resolve(name);
    }

    /** {@code startwpar NAME}: a fresh toy (counter 0); returns once it runs. */
    public void start(String wpar) {
        ROOTS.add(root(wpar));
        run(command("startwpar").toString(), wpar);
    }

    /** {@code restartwpar -d STATEDIR -o LOGFILE NAME}: the toy's memory from STATEDIR, its files as ROOT/data holds them. */
    public void restart(String wpar, Path statedir, Path logfile) {
        ROOTS.add(root(wpar));
        run(command("restartwpar").toString(), "-d", statedir.toString(), "-o", logfile.toString(), wpar);
    }

    /** Kills the toy of {@code wpar} at the end of the test JVM, like those this class starts: for one a command under test starts. */
    public void track(String wpar) {
        ROOTS.add(root(wpar));
    }

    /** {@code chkptwpar -p -d STATEDIR -o LOGFILE NAME}: the toy's memory to STATEDIR; the toy stays paused. */
    public void checkpointPaused(String wpar, Path statedir, Path logfile) {
        run(command("chkptwpar").toString(), "-p", "-d", statedir.toString(), "-o", logfile.toString(), wpar);
    }

    /** {@code resumewpar NAME}: a paused toy runs again. */
    public void resume(String wpar) {
        run(command("resumewpar").toString(), wpar);
    }

    /** {@code stopwpar NAME}: returns once no toy runs under its root (also when none did). */
    public void stop(String wpar) {
        run(command("stopwpar").toString(), wpar);
        ROOTS.remove(root(wpar));
    }

    /** {@code ToyWpar.java status --root ROOT}: what the toy publishes (exit 2, unhealthy, is an answer too). */
    public JsonNode status(String wpar) {
        return json(exec(toyTool("status", "--root", root(wpar).toString())), Set.of(0, 2));
    }

    /** {@code ToyWpar.java inspect STATEDIR}: the statefile, verified; fails if it is damaged or incomplete. */
    public JsonNode inspect(Path statedir) {
        return json(exec(toyTool("inspect", statedir.toString())), Set.of(0));
    }

    private List<String> toyTool(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ServerProcess.javaBinary(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                contrib.resolve("ToyWpar.java").toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static JsonNode json(Ran r, Set<Integer> okCodes) {
        if (!okCodes.contains(r.exitCode())) {
            fail(r.toString());
        }
        try {
            return JSON.readTree(r.stdout());
        } catch (IOException e) {
            throw new AssertionError("stdout is not JSON: " + r, e);
        }
    }

    /** How a tool ended. */
    private record Ran(List<String> command, int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return String.join(" ", command) + "\n  exit " + exitCode + "\n  stderr: " + stderr.strip()
                    + "\n  stdout: " + stdout.strip();
        }
    }

    private void run(String... command) {
        Ran r = exec(List.of(command));
        if (r.exitCode() != 0) {
            fail(r.toString());
        }
    }

    private Ran exec(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread errReader = new Thread(() -> copy(p.getErrorStream(), err), "toywpar-stderr-" + p.pid());
            errReader.setDaemon(true);
            errReader.start();
            // The toy's launcher leaves the detached toy holding no pipe of ours, so stdout ends when the command does.
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not exit within " + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            errReader.join(5_000);
            return new Ran(command, p.exitValue(), new String(out, StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static void copy(InputStream from, ByteArrayOutputStream to) {
        try (from) {
            from.transferTo(to);
        } catch (IOException e) {
            // the process is gone; what was read is kept
        }
    }

    /** SIGKILL to the toy running under {@code root}, if any: its pid is in {@code run/pid}. */
    private static void killToy(Path root) {
        try {
            long pid = Long.parseLong(Files.readString(root.resolve("run/pid")).strip());
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        } catch (IOException | NumberFormatException e) {
            // no toy running there
        }
    }
}
