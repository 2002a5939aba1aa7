package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.ckpt.testkit.ChildClasspath;
import io.ckpt.testkit.ProcessLog;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ckpt agent --config FILE} as a real child process, started with the client jar's class
 * path ({@link ChildClasspath#client()}: no server class) and the environment the test gives it
 * (TOYWPAR_HOME, say). Its stdout and stderr are kept as one log. Closing it kills it if it is
 * still running; so does the end of the test JVM, whatever way it ends.
 */
public final class AgentProcess implements AutoCloseable {
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(40); // the agent lets running checkpoints finish (up to 30 s)
    private static final Pattern STARTED = Pattern.compile("INFO AgentDaemon - agent \\S+ started: ");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-agents"));
    }

    private final Path config;
    private final Process process;
    private final ProcessLog log;

    private AgentProcess(Path config, Process process) {
        this.config = config;
        this.process = process;
        this.log = new ProcessLog(process, "agent");
    }

    /** Starts an agent and waits until it logs that it started; fails with its log if it does not. */
    public static AgentProcess start(Path config, Map<String, String> env) throws IOException {
        AgentProcess a = launch(config, env);
        if (a.awaitLogOrNull(0, STARTED, START_TIMEOUT) == null) {
            String why = a.process.isAlive() ? "did not log that it started within " + START_TIMEOUT.toSeconds() + " s"
                    : "exited with status " + a.process.exitValue() + " before it started";
            a.close();
            fail("agent with config " + config + " " + why + "; its log:\n" + a.log());
        }
        return a;
    }

    /** Starts an agent and returns at once, for tests where it is expected to refuse to start. */
    public static AgentProcess launch(Path config, Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ServerProcess.javaBinary());
        cmd.addAll(Cli.QUICK_JVM);
        cmd.add("-Xmx256m");
        cmd.add("-cp");
        cmd.add(ChildClasspath.client()); // the agent runs without the server's classes, as from the client jar
        cmd.add("io.ckpt.cli.CkptMain");
        cmd.add("agent");
        cmd.add("--config");
        cmd.add(config.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("CKPT_SERVER"); // only what the config and the test say
        pb.environment().putAll(env);
        Process p = pb.start();
        LIVE.add(p);
        p.getOutputStream().close();
        return new AgentProcess(config, p);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String log() {
        return log.text();
    }

    /** How much has been logged so far: a mark for {@link #awaitLog(int, Pattern, Duration)}. */
    public int logMark() {
        return log.mark();
    }

    /** Every match of {@code pattern} in what was logged after {@code mark}, in order. */
    public List<MatchResult> matches(int mark, Pattern pattern) {
        return log.matches(mark, pattern);
    }

    /** How many log lines after {@code mark} match {@code pattern}. */
    public int count(int mark, Pattern pattern) {
        return log.count(mark, pattern);
    }

    /** Waits until a log line matches {@code pattern}; fails with the log when none does in time. */
    public Matcher awaitLog(Pattern pattern, Duration timeout) {
        return log.await(0, pattern, timeout);
    }

    /** Like {@link #awaitLog(Pattern, Duration)}, but only looks at what was logged after {@code mark}. */
    public Matcher awaitLog(int mark, Pattern pattern, Duration timeout) {
        return log.await(mark, pattern, timeout);
    }

    /** Waits until at least {@code n} log lines after {@code mark} match {@code pattern}; fails with the log otherwise. */
    public void awaitCount(int mark, Pattern pattern, int n, Duration timeout) {
        log.awaitCount(mark, pattern, n, timeout);
    }

    private Matcher awaitLogOrNull(int mark, Pattern pattern, Duration timeout) {
        return log.awaitOrNull(mark, pattern, timeout);
    }

    /** SIGTERM, then the agent must exit with status 0 within {@link #STOP_TIMEOUT}. */
    public void stop() {
        process.toHandle().destroy(); // not Process.destroy(): that also closes our end of its log pipe
        assertEquals(0, awaitExit(STOP_TIMEOUT), "exit status of the agent after SIGTERM; its log:\n" + log());
    }

    /** SIGKILL: the agent gets no chance to clean up. */
    public void kill9() {
        process.toHandle().destroyForcibly();
        awaitExit(STOP_TIMEOUT);
    }

    /** Waits for the agent to exit by itself and returns its exit status; fails with its log if it does not. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                fail("agent (pid " + pid() + ", config " + config + ") did not exit within " + timeout.toSeconds()
                        + " s; its log:\n" + log());
            }
            log.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        LIVE.remove(process);
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LIVE.remove(process);
    }
}
