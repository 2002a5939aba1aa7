package io.ckpt.bench.macro;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Runs one command to its end and measures it: wall time, CPU seconds (user + system, from this
 * process's {@code cutime + cstime} in /proc/self/stat, which grow by a child's times when it is
 * reaped, so only one child may run at a time besides a long-lived server), and peak RSS (the
 * child's VmHWM, polled every 10 ms until it exits). Standard output is kept; standard error goes
 * to a log file.
 */
final class ChildRun {
    /** What one run took. */
    record Result(int exitCode, double seconds, double cpuSeconds, long peakRssBytes, String stdout) {}

    private ChildRun() {}

    static Result run(List<String> command, Path cwd, Map<String, String> env, Path stderrLog) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile()));
        pb.environment().putAll(env);
        double cpuBefore = childrenCpuSeconds();
        long started = System.nanoTime();
        Process p = pb.start();
        long[] peak = {0};
        Thread poll = new Thread(() -> {
            while (p.isAlive()) {
                peak[0] = Math.max(peak[0], ProcStat.peakRss(p.pid()));
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-poll-" + p.pid());
        poll.setDaemon(true);
        poll.start();
        byte[] out = p.getInputStream().readAllBytes();
        int code;
        try {
            code = p.waitFor();
            poll.join();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + command);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Result(code, seconds, childrenCpuSeconds() - cpuBefore, peak[0], new String(out, StandardCharsets.UTF_8));
    }

    /** The same, failing with the command, exit code and the log's tail when it does not exit 0. */
    static Result check(List<String> command, Path cwd, Map<String, String> env, Path stderrLog) throws IOException {
        Result r = run(command, cwd, env, stderrLog);
        if (r.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + r.exitCode() + "; stderr in " + stderrLog
                    + ": " + tail(stderrLog));
        }
        return r;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static double childrenCpuSeconds() {
        long[] t = ProcStat.cpuTicks("self");
        return (t[2] + t[3]) / ProcStat.TICKS_PER_SECOND;
    }

    /** Reading /proc: a process's CPU ticks and peak resident set. */
    static final class ProcStat {
        static final double TICKS_PER_SECOND = 100.0; // USER_HZ, 100 on every Linux architecture ckpt runs on

        private ProcStat() {}

        /** utime, stime, cutime, cstime of a pid (or "self"), in clock ticks. */
        static long[] cpuTicks(Object pid) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // f[0] is field 3 (state); utime is field 14.
                return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])};
            } catch (IOException e) {
                throw new UncheckedIOException("reading /proc/" + pid + "/stat", e);
            }
        }

        static double cpuSeconds(long pid) {
            long[] t = cpuTicks(pid);
            return (t[0] + t[1]) / TICKS_PER_SECOND;
        }

        /** VmHWM in bytes, 0 once the process is gone. */
        static long peakRss(long pid) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith("VmHWM:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            } catch (NoSuchFileException e) {
                return 0;
            } catch (IOException | UncheckedIOException e) {
                return 0;
            }
            return 0;
        }
    }
}
