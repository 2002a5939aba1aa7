package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ckpt server} as a real child process on 127.0.0.1 with a free port (or a fixed one, see
 * {@link Options#port}), started with the test's own class path. Its stdout and stderr are kept
 * as one log. Closing it kills it if it is still running; so does the end of the test JVM,
 * whatever way it ends.
 */
final class ServerProcess implements AutoCloseable {
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern LISTENING = Pattern.compile("(?<!http )listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern HTTP_LISTENING = Pattern.compile("http listening on 127\\.0\\.0\\.1:(\\d+)");
    /** The last line of the thread dump a JVM prints on SIGQUIT. */
    private static final Pattern DUMP_END = Pattern.compile("JNI global refs: .*\n");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-servers"));
    }

    /** How to start a server: datastore, optional catalog, heap and extra arguments. */
    static final class Options {
        private final Path datastore;
        private Path catalog;
        private String heap = "512m";
        private final List<String> extra = new ArrayList<>();
        private final List<String> jvm = new ArrayList<>();
        private int port;

        private Options(Path datastore) {
            this.datastore = datastore;
        }

        Options catalog(Path catalog) {
            this.catalog = catalog;
            return this;
        }

        /** The -Xmx value, e.g. "256m". */
        /** More server arguments, e.g. "--pack-size", "1". */
        Options args(String... args) {
            extra.addAll(List.of(args));
            return this;
        }

        /** More JVM options, e.g. "-Dckpt.test.progressDelayMillis=200". */
        Options jvm(String... options) {
            jvm.addAll(List.of(options));
            return this;
        }

        Options heap(String heap) {
            this.heap = heap;
            return this;
        }

        /**
         * Listens on this port instead of one the OS picks, so that {@link ServerProcess#restart()} comes back on the same
         * address (an agent's config names it). 0, the default, picks a free port at each start.
         */
        Options port(int port) {
            this.port = port;
            return this;
        }

        /** Starts the server and waits until it listens; fails with its log if it does not. */
        ServerProcess start() throws IOException {
            ServerProcess s = new ServerProcess(this, launch());
            s.awaitListening();
            return s;
        }

        /**
         * Starts a server and returns it once it listens or once it exited without listening
         * (see {@link #listening()}): for tests where starting at all is the failure to report.
         */
        ServerProcess startOrExit() throws IOException {
            ServerProcess s = new ServerProcess(this, launch());
            Matcher m = s.awaitLogOrNull(0, LISTENING, START_TIMEOUT);
            if (m == null) {
                s.awaitExit(STOP_TIMEOUT);
            } else {
                s.port = Integer.parseInt(m.group(1));
            }
            return s;
        }

        /** Starts a server that is expected to refuse to start, and waits for it to exit. */
        Exited startExpectingExit() throws IOException {
            try (ServerProcess s = new ServerProcess(this, launch())) {
                return s.awaitExit(START_TIMEOUT);
            }
        }

        private Process launch() throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Cli.javaBinary());
            cmd.add("-Xmx" + heap);
            cmd.add("-XX:+ExitOnOutOfMemoryError"); // an OOM ends the server visibly instead of killing one thread
            cmd.addAll(jvm);
            cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
            cmd.add("-cp");
            cmd.add(ChildClasspath.get());
            cmd.add("io.ckpt.server.ServerMain");
            cmd.add("--datastore");
            cmd.add(datastore.toString());
            cmd.add("--listen");
            cmd.add("127.0.0.1:" + port);
            cmd.addAll(extra);
            if (!extra.contains("--http")) { // never the fixed default port: tests and other builds run side by side
                cmd.add("--http");
                cmd.add("127.0.0.1:0");
            }
            if (catalog != null) {
                cmd.add("--catalog");
                cmd.add(catalog.toString());
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            LIVE.add(p);
            p.getOutputStream().close();
            return p;
        }
    }

    /** A server process that has exited: its status and everything it logged. */
    record Exited(int exitCode, String log) {}

    private final Options options;
    private final Process process;
    private final ProcessLog log;
    private int port = -1;

    private ServerProcess(Options options, Process process) {
        this.options = options;
        this.process = process;
        this.log = new ProcessLog(process, "server");
    }

    static Options on(Path datastore) {
        return new Options(datastore);
    }

    /** Starts a server on {@code datastore} with the default options. */
    static ServerProcess start(Path datastore) throws IOException {
        return on(datastore).start();
    }

    /** A new server with the same options, typically after this one stopped or died. */
    ServerProcess restart() throws IOException {
        if (process.isAlive()) {
            fail("restart() while the server (pid " + pid() + ") is still running");
        }
        return options.start();
    }

    private void awaitListening() {
        Matcher m = awaitLogOrNull(0, LISTENING, START_TIMEOUT);
        if (m == null) {
            String why = process.isAlive() ? "did not log 'listening on' within " + START_TIMEOUT.toSeconds() + " s"
                    : "exited with status " + process.exitValue() + " before listening";
            close();
            fail("server on " + options.datastore + " " + why + "; its log:\n" + log());
        }
        port = Integer.parseInt(m.group(1));
    }

    int port() {
        return port;
    }

    /** The HTTP listener's port, from the log line after the protocol's (the server must listen for http). */
    int httpPort() {
        Matcher m = awaitLogOrNull(0, HTTP_LISTENING, START_TIMEOUT);
        if (m == null) {
            fail("server on " + options.datastore + " did not log 'http listening on'; its log:\n" + log());
        }
        return Integer.parseInt(m.group(1));
    }

    /** Whether it started listening (false after {@link Options#startOrExit()} when it refused to start). */
    boolean listening() {
        return port >= 0;
    }

    /** The exit status of a server that has exited. */
    int exitCode() {
        return process.exitValue();
    }

    /** HOST:PORT for --server. */
    String address() {
        return "127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    Path datastore() {
        return options.datastore;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String log() {
        return log.text();
    }

    /** How much has been logged so far: a mark for {@link #awaitLog(int, Pattern, Duration)}. */
    int logMark() {
        return log.mark();
    }

    /** Waits until a log line matches {@code pattern}; fails with the log when none does in time. */
    Matcher awaitLog(Pattern pattern, Duration timeout) {
        return log.await(0, pattern, timeout);
    }

    /** Like {@link #awaitLog(Pattern, Duration)}, but only looks at what was logged after {@code mark}. */
    Matcher awaitLog(int mark, Pattern pattern, Duration timeout) {
        return log.await(mark, pattern, timeout);
    }

    private Matcher awaitLogOrNull(int mark, Pattern pattern, Duration timeout) {
        return log.awaitOrNull(mark, pattern, timeout);
    }

    /** SIGTERM, then the server must exit with status 0 within {@link #STOP_TIMEOUT}. */
    void stop() {
        int code = terminate();
        assertEquals(0, code, "exit status of the server after SIGTERM; its log:\n" + log());
    }

    /**
     * SIGTERM, and wait up to {@link #STOP_TIMEOUT} for the exit; returns the exit status without
     * judging it, for tests about something else (ShutdownTest judges it).
     */
    int terminate() {
        process.toHandle().destroy(); // not Process.destroy(): that also closes our end of its log pipe
        return awaitExit(STOP_TIMEOUT).exitCode();
    }

    /**
     * SIGQUIT: the JVM prints every thread's stack into the log (and goes on running); returns that
     * dump, or "" when it did not end within {@code timeout}. What the server does at this instant.
     */
    String threadDump(Duration timeout) throws IOException, InterruptedException {
        int mark = logMark();
        new ProcessBuilder("kill", "-QUIT", Long.toString(pid())).inheritIO().start().waitFor();
        Matcher m = awaitLogOrNull(mark, DUMP_END, timeout);
        return m == null ? "" : log().substring(mark, m.end());
    }

    /** SIGKILL: the server gets no chance to clean up. */
    void kill9() {
        process.toHandle().destroyForcibly();
        awaitExit(STOP_TIMEOUT);
    }

    private Exited awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                fail("server (pid " + pid() + ") did not exit within " + timeout.toSeconds() + " s; its log:\n" + log());
            }
            log.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        LIVE.remove(process);
        return new Exited(process.exitValue(), log());
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
