package io.ckpt.testkit;


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
 * {@link Options#port}): by default with the test's own class path (the integration tests), or
 * from the server jar with the JVM options a benchmark measures under ({@link Options#jar},
 * {@link Options#jvmOptions}). Its stdout and stderr are kept as one log. Closing it kills it if
 * it is still running; so does the end of the JVM that started it, whatever way it ends. Failures
 * to start or stop are thrown as {@link AssertionError}s carrying the server's log.
 */
public final class ServerProcess implements AutoCloseable {
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern LISTENING = Pattern.compile("(?<!http )listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern HTTP_LISTENING = Pattern.compile("http listening on 127\\.0\\.0\\.1:(\\d+)");
    /** The last line of the thread dump a JVM prints on SIGQUIT. */
    private static final Pattern DUMP_END = Pattern.compile("JNI global refs: .*\n");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-servers"));
    }

    /** How to start a server: datastore, optional catalog, heap, JVM and extra arguments. */
    public static final class Options {
        private final Path datastore;
        private Path catalog;
        private String heap = "512m";
        private final List<String> extra = new ArrayList<>();
        private final List<String> jvmOptions = new ArrayList<>();
        private int port;
        private String java = javaBinary();
        private Path jar;

        private Options(Path datastore) {
            this.datastore = datastore;
        }

        public Options catalog(Path catalog) {
            this.catalog = catalog;
            return this;
        }

        /** More server arguments, e.g. "--pack-size", "1". */
        public Options args(String... args) {
            extra.addAll(List.of(args));
            return this;
        }

        /** The -Xmx value, e.g. "256m"; null for the JVM's default (a benchmark measures what a user gets). */
        public Options heap(String heap) {
            this.heap = heap;
            return this;
        }

        /** The java binary to run (default: this JVM's). */
        public Options java(String java) {
            this.java = java;
            return this;
        }

        /** Runs {@code java -jar jar} (server/target/ckpt-server.jar) instead of the test's class path. */
        public Options jar(Path jar) {
            this.jar = jar;
            return this;
        }

        /** More JVM options, e.g. "-Xlog:gc:file=gc.log". */
        public Options jvmOptions(List<String> options) {
            jvmOptions.addAll(options);
            return this;
        }

        /** More JVM options, e.g. "-Dckpt.test.progressDelayMillis=200". */
        public Options jvmOptions(String... options) {
            return jvmOptions(List.of(options));
        }

        /**
         * Listens on this port instead of one the OS picks, so that {@link ServerProcess#restart()} comes back on the same
         * address (an agent's config names it). 0, the default, picks a free port at each start.
         */
        public Options port(int port) {
            this.port = port;
            return this;
        }

        /** Starts the server and waits until it listens; fails with its log if it does not. */
        public ServerProcess start() throws IOException {
            ServerProcess s = new ServerProcess(this, launch());
            s.awaitListening();
            return s;
        }

        /**
         * Starts a server and returns it once it listens or once it exited without listening
         * (see {@link #listening()}): for tests where starting at all is the failure to report.
         */
        public ServerProcess startOrExit() throws IOException {
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
        public Exited startExpectingExit() throws IOException {
            try (ServerProcess s = new ServerProcess(this, launch())) {
                return s.awaitExit(START_TIMEOUT);
            }
        }

        private Process launch() throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            if (heap != null) {
                cmd.add("-Xmx" + heap);
            }
            cmd.add("-XX:+ExitOnOutOfMemoryError"); // an OOM ends the server visibly instead of killing one thread
            cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
            cmd.addAll(jvmOptions);
            if (jar != null) {
                cmd.add("-jar");
                cmd.add(jar.toString());
            } else {
                cmd.add("-cp");
                cmd.add(ChildClasspath.get());
                cmd.add("io.ckpt.server.ServerMain");
            }
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
    public record Exited(int exitCode, String log) {}

    private final Options options;
    private final Process process;
    private final ProcessLog log;
    private int port = -1;

    private ServerProcess(Options options, Process process) {
        this.options = options;
        this.process = process;
        this.log = new ProcessLog(process, "server");
    }

    /** This JVM's java binary. */
    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static Options on(Path datastore) {
        return new Options(datastore);
    }

    /** Starts a server on {@code datastore} with the default options. */
    public static ServerProcess start(Path datastore) throws IOException {
        return on(datastore).start();
    }

    /** A new server with the same options, typically after this one stopped or died. */
    public ServerProcess restart() throws IOException {
        if (process.isAlive()) {
            throw new AssertionError("restart() while the server (pid " + pid() + ") is still running");
        }
        return options.start();
    }

    private void awaitListening() {
        Matcher m = awaitLogOrNull(0, LISTENING, START_TIMEOUT);
        if (m == null) {
            String why = process.isAlive() ? "did not log 'listening on' within " + START_TIMEOUT.toSeconds() + " s"
                    : "exited with status " + process.exitValue() + " before listening";
            close();
            throw new AssertionError("server on " + options.datastore + " " + why + "; its log:\n" + log());
        }
        port = Integer.parseInt(m.group(1));
    }

    public int port() {
        return port;
    }

    /** The HTTP listener's port, from the log line after the protocol's (the server must listen for http). */
    public int httpPort() {
        Matcher m = awaitLogOrNull(0, HTTP_LISTENING, START_TIMEOUT);
        if (m == null) {
            throw new AssertionError("server on " + options.datastore + " did not log 'http listening on'; its log:\n" + log());
        }
        return Integer.parseInt(m.group(1));
    }

    /** Whether it started listening (false after {@link Options#startOrExit()} when it refused to start). */
    public boolean listening() {
        return port >= 0;
    }

    /** The exit status of a server that has exited. */
    public int exitCode() {
        return process.exitValue();
    }

    /** HOST:PORT for --server. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    public Path datastore() {
        return options.datastore;
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

    /** Waits until a log line matches {@code pattern}; fails with the log when none does in time. */
    public Matcher awaitLog(Pattern pattern, Duration timeout) {
        return log.await(0, pattern, timeout);
    }

    /** Like {@link #awaitLog(Pattern, Duration)}, but only looks at what was logged after {@code mark}. */
    public Matcher awaitLog(int mark, Pattern pattern, Duration timeout) {
        return log.await(mark, pattern, timeout);
    }

    private Matcher awaitLogOrNull(int mark, Pattern pattern, Duration timeout) {
        return log.awaitOrNull(mark, pattern, timeout);
    }

    /** SIGTERM, then the server must exit with status 0 within {@link #STOP_TIMEOUT}. */
    public void stop() {
        int code = terminate();
        if (code != 0) {
            throw new AssertionError("exit status of the server after SIGTERM: " + code + ", not 0; its log:\n" + log());
        }
    }

    /**
     * SIGTERM, and wait up to {@link #STOP_TIMEOUT} for the exit; returns the exit status without
     * judging it, for tests about something else (ShutdownTest judges it).
     */
    public int terminate() {
        process.toHandle().destroy(); // not Process.destroy(): that also closes our end of its log pipe
        return awaitExit(STOP_TIMEOUT).exitCode();
    }

    /**
     * SIGQUIT: the JVM prints every thread's stack into the log (and goes on running); returns that
     * dump, or "" when it did not end within {@code timeout}. What the server does at this instant.
     */
    public String threadDump(Duration timeout) throws IOException, InterruptedException {
        int mark = logMark();
        new ProcessBuilder("kill", "-QUIT", Long.toString(pid())).inheritIO().start().waitFor();
        Matcher m = awaitLogOrNull(mark, DUMP_END, timeout);
        return m == null ? "" : log().substring(mark, m.end());
    }

    /** SIGKILL: the server gets no chance to clean up. */
    public void kill9() {
        process.toHandle().destroyForcibly();
        awaitExit(STOP_TIMEOUT);
    }

    private Exited awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("server (pid " + pid() + ") did not exit within " + timeout.toSeconds() + " s; its log:\n" + log());
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
