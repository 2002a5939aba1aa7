package io.ckpt.agent.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one external command: standard input closed, standard output to a file, to a consumer
 * or discarded, standard error kept as a bounded tail for the failure record. A command that
 * outlives its timeout is terminated (then killed), together with its children.
 */
public final class CommandRunner {
    /** How much of standard error is kept. */
    public static final int STDERR_TAIL = 4096;

    /** Reads a command's standard output while it runs. */
    @FunctionalInterface
    public interface OutputConsumer {
        void consume(InputStream stdout) throws IOException;
    }

    private CommandRunner() {}

    /** Runs {@code argv}, its standard output discarded (or appended to {@code stdoutFile} if not null). */
    public static CommandResult run(List<String> argv, Duration timeout, Path stdoutFile) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(devNull()));
        pb.redirectOutput(stdoutFile == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.appendTo(stdoutFile.toFile()));
        return await(argv, pb.start(), timeout, null);
    }

    /** Runs {@code argv} and hands its standard output to {@code consumer} on the calling thread. */
    public static CommandResult stream(List<String> argv, Duration timeout, OutputConsumer consumer) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(devNull()));
        return await(argv, pb.start(), timeout, consumer);
    }

    /**
     * Starts {@code argv} and returns its standard output. Closing the stream waits for the
     * command and throws if it failed or outlived {@code timeout}, so a reader that sends the
     * bytes on learns of the failure before it commits them.
     */
    public static InputStream open(List<String> argv, Duration timeout) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(devNull()));
        Process p = pb.start();
        long start = System.nanoTime();
        Tail tail = new Tail();
        Thread errReader = new Thread(() -> tail.drain(p.getErrorStream()), "stderr-" + p.pid());
        errReader.setDaemon(true);
        errReader.start();
        Thread watchdog = new Thread(() -> {
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    tail.timedOut = true;
                    kill(p);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "timeout-" + p.pid());
        watchdog.setDaemon(true);
        watchdog.start();
        return new java.io.FilterInputStream(p.getInputStream()) {
            private boolean closed;

            @Override
            public void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                super.close();
                try {
                    p.waitFor();
                    errReader.join(2000);
                } catch (InterruptedException e) {
                    kill(p);
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while running " + String.join(" ", argv));
                } finally {
                    watchdog.interrupt();
                }
                CommandResult r = new CommandResult(String.join(" ", argv), p.exitValue(), tail.timedOut,
                        Duration.ofNanos(System.nanoTime() - start), tail.text());
                if (!r.ok()) {
                    throw new IOException(r.describe());
                }
            }
        };
    }

    private static java.io.File devNull() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    private static CommandResult await(List<String> argv, Process p, Duration timeout, OutputConsumer consumer)
            throws IOException {
        long start = System.nanoTime();
        Tail tail = new Tail();
        Thread errReader = new Thread(() -> tail.drain(p.getErrorStream()), "stderr-" + p.pid());
        errReader.setDaemon(true);
        errReader.start();
        // The watchdog ends a command that runs too long, also while the consumer is blocked reading it.
        Thread watchdog = new Thread(() -> {
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    tail.timedOut = true;
                    kill(p);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "timeout-" + p.pid());
        watchdog.setDaemon(true);
        watchdog.start();
        IOException consumerFailure = null;
        try {
            if (consumer != null) {
                try (InputStream out = p.getInputStream()) {
                    consumer.consume(out);
                } catch (IOException e) {
                    consumerFailure = e;
                    kill(p);
                }
            }
            p.waitFor();
            errReader.join(2000);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", argv));
        } finally {
            watchdog.interrupt();
        }
        CommandResult r = new CommandResult(String.join(" ", argv), p.exitValue(), tail.timedOut,
                Duration.ofNanos(System.nanoTime() - start), tail.text());
        if (consumerFailure != null) {
            throw new IOException(consumerFailure.getMessage() + " (while reading the output of " + r.describe() + ")", consumerFailure);
        }
        return r;
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last {@link #STDERR_TAIL} bytes of a stream. */
    private static final class Tail {
        private final byte[] ring = new byte[STDERR_TAIL];
        private long total;
        volatile boolean timedOut;

        void drain(InputStream in) {
            byte[] buf = new byte[4096];
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (this) {
                        for (int i = 0; i < n; i++) {
                            ring[(int) (total++ % STDERR_TAIL)] = buf[i];
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process is gone; keep what was read
            }
        }

        synchronized String text() {
            int n = (int) Math.min(total, STDERR_TAIL);
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                out[i] = ring[(int) ((total - n + i) % STDERR_TAIL)];
            }
            return new String(out, StandardCharsets.UTF_8);
        }
    }

}
