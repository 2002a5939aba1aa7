package io.ckpt.agent.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one external command: standard input closed, standard output to a file, discarded, or
 * read by the caller, standard error kept as a bounded tail for the failure record. A command that
 * outlives its timeout is terminated (then killed), together with its children.
 */
public final class CommandRunner {
    /** How much of standard error is kept. */
    public static final int STDERR_TAIL = 4096;

    private CommandRunner() {}

    /** Runs {@code argv}, its standard output discarded (or appended to {@code stdoutFile} if not null). */
    public static CommandResult run(List<String> argv, Duration timeout, Path stdoutFile) throws IOException {
        return Watched.start(argv, stdoutFile == null ? ProcessBuilder.Redirect.DISCARD
                : ProcessBuilder.Redirect.appendTo(stdoutFile.toFile()), timeout).await();
    }

    /**
     * Starts {@code argv} and returns its standard output. Closing the stream waits for the
     * command and throws if it failed or outlived {@code timeout}, so a reader that sends the
     * bytes on learns of the failure before it commits them.
     */
    public static InputStream open(List<String> argv, Duration timeout) throws IOException {
        Watched w = Watched.start(argv, null, timeout);
        Process p = w.process;
        return new java.io.FilterInputStream(p.getInputStream()) {
            private boolean closed;

            @Override
            public void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                super.close();
                CommandResult r = w.await();
                if (!r.ok()) {
                    throw new IOException(r.describe());
                }
            }
        };
    }

    private static java.io.File devNull() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /** A started command with its stderr tail being read and a watchdog that ends it at its timeout. */
    private static final class Watched {
        final Process process;
        private final List<String> argv;
        private final Tail tail = new Tail();
        private final Thread errReader;
        private final Thread watchdog;
        private final long start = System.nanoTime();

        private Watched(List<String> argv, Process p, Duration timeout) {
            this.argv = argv;
            this.process = p;
            errReader = new Thread(() -> tail.drain(p.getErrorStream()), "stderr-" + p.pid());
            errReader.setDaemon(true);
            errReader.start();
            watchdog = new Thread(() -> {
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
        }

        /** Starts {@code argv}, stdin from /dev/null, stdout to {@code out} (null: a pipe to read). */
        static Watched start(List<String> argv, ProcessBuilder.Redirect out, Duration timeout) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(devNull()));
            if (out != null) {
                pb.redirectOutput(out);
            }
            return new Watched(argv, pb.start(), timeout);
        }

        /** Waits for the end and says how it went. */
        CommandResult await() throws IOException {
            try {
                process.waitFor();
                errReader.join(2000);
            } catch (InterruptedException e) {
                kill(process);
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + String.join(" ", argv));
            } finally {
                watchdog.interrupt();
            }
            return new CommandResult(CommandResult.quote(argv), process.exitValue(), tail.timedOut,
                    Duration.ofNanos(System.nanoTime() - start), tail.text());
        }
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
