package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.testkit.ChildClasspath;
import io.ckpt.testkit.ServerProcess;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The {@code ckpt} client as a real child process ({@code io.ckpt.cli.CkptMain}), pointed at a
 * server with {@code --server}. It runs on the class path bin/ckpt would give it: the client jar's
 * ({@link ChildClasspath#client()}), or the offline jar's when an argument is {@code --datastore}
 * ({@link #needsOfflineJar}); {@link #clientJarOnly()} keeps the client's whatever the command.
 * Immutable: {@link #jvm} gives a copy with other JVM options.
 */
public final class Cli {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);
    /** Quick start-up, as bin/ckpt runs the client; fine for everything but bulk transfers. */
    public static final List<String> QUICK_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto");
    /** Full JIT: for pushes and restores of hundreds of MiB, where SHA-256 speed matters. */
    public static final List<String> BULK_JVM = List.of("-XX:+UseSerialGC", "-Xmx512m");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Commands whose subcommand comes before the options ({@code ckpt host add ...}). */
    private static final java.util.Set<String> GROUPS = java.util.Set.of("host");

    private final String server;
    private final List<String> jvmOptions;
    /** Client options given to every command after --server (--tls-ca, --token-file). */
    private final List<String> options;
    /** Run on the client jar's class path even where bin/ckpt would run the offline jar. */
    private final boolean clientJarOnly;

    private Cli(String server, List<String> jvmOptions) {
        this(server, jvmOptions, List.of(), false);
    }

    private Cli(String server, List<String> jvmOptions, List<String> options, boolean clientJarOnly) {
        this.server = server;
        this.jvmOptions = jvmOptions;
        this.options = options;
        this.clientJarOnly = clientJarOnly;
    }

    /**
     * Whether bin/ckpt runs {@code ckpt ARGS} from the offline jar (offline/target/ckpt-offline.jar):
     * when an argument is {@code --datastore} (restore or audit read the datastore without a server).
     */
    public static boolean needsOfflineJar(List<String> args) {
        return args.stream().anyMatch(a -> a.equals("--datastore") || a.startsWith("--datastore="));
    }

    /** A copy that runs every command on the client jar's class path, as {@code java -jar ckpt-client.jar} would. */
    public Cli clientJarOnly() {
        return new Cli(server, jvmOptions, options, true);
    }

    /** A copy that gives every command these client options too. */
    public Cli withOptions(String... more) {
        List<String> all = new ArrayList<>(options);
        all.addAll(List.of(more));
        return new Cli(server, jvmOptions, List.copyOf(all), clientJarOnly);
    }

    /** A client talking to {@code server}. */
    public static Cli against(ServerProcess server) {
        return new Cli(server.address(), QUICK_JVM);
    }

    /** A client talking to {@code hostPort}, whether or not anything listens there. */
    public static Cli against(String hostPort) {
        return new Cli(hostPort, QUICK_JVM);
    }

    /** A client given no --server (for --help). */
    public static Cli standalone() {
        return new Cli(null, QUICK_JVM);
    }

    public Cli jvm(List<String> jvm) {
        return new Cli(server, List.copyOf(jvm), options, clientJarOnly);
    }


    /** Runs {@code ckpt ARGS} with empty stdin and returns once it has exited. */
    public Result run(String... args) {
        return command(args).run();
    }

    /** An invocation to configure (stdin, stdout, timeout) before running or starting it. */
    public Invocation command(String... args) {
        return new Invocation(args);
    }

    /** The process's exit status and output. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        /** Fails unless the exit status is 0. */
        public Result assertOk() {
            return assertExit(0);
        }

        public Result assertExit(int expected) {
            assertEquals(expected, exitCode, () -> "exit status of " + this);
            return this;
        }

        public JsonNode json() {
            try {
                return JSON.readTree(stdout);
            } catch (IOException e) {
                throw new AssertionError("stdout of " + this + " is not JSON", e);
            }
        }

        @Override
        public String toString() {
            return String.join(" ", command.subList(command.indexOf("io.ckpt.cli.CkptMain"), command.size()))
                    + "\n  exit " + exitCode + "\n  stderr: " + stderr.strip() + "\n  stdout: "
                    + (stdout.length() > 2000 ? stdout.substring(0, 2000) + "..." : stdout.strip());
        }
    }

    public final class Invocation {
        private final String[] args;
        private Path stdinFile;
        private Supplier<InputStream> stdinStream;
        private OutputStream stdoutSink;
        private Duration timeout = DEFAULT_TIMEOUT;
        private final java.util.Map<String, String> env = new java.util.HashMap<>();

        private Invocation(String[] args) {
            this.args = args;
        }

        public Invocation stdin(byte[] bytes) {
            this.stdinStream = () -> new ByteArrayInputStream(bytes);
            return this;
        }

        public Invocation stdin(Path file) {
            this.stdinFile = file;
            return this;
        }

        /** Pipes the stream into the process's stdin from a thread, counting the bytes accepted. */
        public Invocation stdin(Supplier<InputStream> stream) {
            this.stdinStream = stream;
            return this;
        }

        /** Copies stdout into {@code sink} (not closed) instead of keeping it. */
        public Invocation stdout(OutputStream sink) {
            this.stdoutSink = sink;
            return this;
        }

        public Invocation timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Sets an environment variable for the process (CKPT_SERVER, say). */
        public Invocation env(String name, String value) {
            env.put(name, value);
            return this;
        }

        public Result run() {
            return start().await(timeout);
        }

        /** Starts the process and returns at once. */
        public Running start() {
            List<String> cmd = new ArrayList<>();
            cmd.add(ServerProcess.javaBinary());
            cmd.addAll(jvmOptions);
            cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
            List<String> a = Arrays.asList(args);
            cmd.add("-cp");
            cmd.add(clientJarOnly || !needsOfflineJar(a) ? ChildClasspath.client() : ChildClasspath.get());
            cmd.add("io.ckpt.cli.CkptMain");
            if (server != null && !a.isEmpty() && !a.get(0).startsWith("-")) {
                int sub = GROUPS.contains(a.get(0)) && a.size() > 1 ? 2 : 1;
                cmd.addAll(a.subList(0, sub));
                cmd.add("--server");
                cmd.add(server);
                cmd.addAll(options);
                cmd.addAll(a.subList(sub, a.size()));
            } else {
                cmd.addAll(a);
            }
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().remove("CKPT_SERVER"); // only what the test says
            pb.environment().putAll(env);
            if (stdinFile != null) {
                pb.redirectInput(stdinFile.toFile());
            }
            try {
                return new Running(cmd, pb.start(), stdinFile == null ? stdinStream : null, stdoutSink);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + cmd, e);
            }
        }
    }

    /** A client process that was started and has not been awaited yet. */
    public static final class Running {
        private final List<String> command;
        private final Process process;
        private final AtomicLong stdinBytes = new AtomicLong();
        private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        private final List<Thread> pumps = new ArrayList<>();

        private Running(List<String> command, Process process, Supplier<InputStream> stdin, OutputStream stdoutSink) {
            this.command = command;
            this.process = process;
            pump("stderr", process.getErrorStream(), stderr);
            pump("stdout", process.getInputStream(), stdoutSink != null ? stdoutSink : stdout);
            if (stdin != null) {
                Thread t = new Thread(() -> feed(stdin), "cli-stdin-" + process.pid());
                t.setDaemon(true);
                t.start();
            } else if (process.getOutputStream() != null) {
                try {
                    process.getOutputStream().close();
                } catch (IOException ignored) {
                    // redirected from a file, or the process is already gone
                }
            }
        }

        private void pump(String name, InputStream from, OutputStream to) {
            Thread t = new Thread(() -> {
                try (from) {
                    byte[] buf = new byte[256 * 1024];
                    int n;
                    while ((n = from.read(buf)) >= 0) {
                        synchronized (to) {
                            to.write(buf, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // the process is gone; what was read is kept
                }
            }, "cli-" + name + "-" + process.pid());
            t.setDaemon(true);
            t.start();
            pumps.add(t);
        }

        private void feed(Supplier<InputStream> stdin) {
            byte[] buf = new byte[256 * 1024];
            try (OutputStream out = process.getOutputStream(); InputStream in = stdin.get()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    stdinBytes.addAndGet(n);
                }
            } catch (IOException e) {
                // the process closed its stdin or died (kill -9 tests): the count says how far it got
            }
        }

        /** Bytes written into the process's stdin so far. */
        public long stdinBytes() {
            return stdinBytes.get();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        /** SIGKILL, and wait for the process to be gone. */
        public void kill9() {
            process.toHandle().destroyForcibly(); // keeps our ends of its pipes: what it printed is still read
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Waits for the exit; fails with what the process printed when it takes longer than {@code timeout}. */
        public Result await(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError("ckpt did not exit within " + timeout.toSeconds() + " s: "
                            + result(-1));
                }
                for (Thread t : pumps) {
                    t.join(10_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            return result(process.exitValue());
        }

        private Result result(int exitCode) {
            String out;
            String err;
            synchronized (stdout) {
                out = stdout.toString(StandardCharsets.UTF_8);
            }
            synchronized (stderr) {
                err = stderr.toString(StandardCharsets.UTF_8);
            }
            return new Result(command, exitCode, out, err);
        }
    }
}
