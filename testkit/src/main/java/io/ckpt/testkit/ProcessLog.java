package io.ckpt.testkit;


import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything a child process (server, agent) writes, read line by line on a thread of its own,
 * and ways to wait for lines in it. Marks let a test look only at what came after a point.
 */
public final class ProcessLog {
    private final String who;
    private final StringBuilder log = new StringBuilder();
    private final Thread reader;

    public ProcessLog(Process process, String who) {
        this.who = who;
        this.reader = new Thread(() -> read(process), who + "-log-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    private void read(Process process) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (log) {
                    log.append(line).append('\n');
                    log.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process is gone; what was read stays in the log
        } finally {
            synchronized (log) {
                log.notifyAll();
            }
        }
    }

    public String text() {
        synchronized (log) {
            return log.toString();
        }
    }

    /** How much has been logged so far: a mark for the waits. */
    public int mark() {
        synchronized (log) {
            return log.length();
        }
    }

    /** Every match of {@code pattern} in what was logged after {@code mark}, in order. */
    public List<MatchResult> matches(int mark, Pattern pattern) {
        return pattern.matcher(text().substring(mark)).results().toList();
    }

    public int count(int mark, Pattern pattern) {
        return matches(mark, pattern).size();
    }

    /** Waits until a line after {@code mark} matches; fails with the log when none does in time. */
    public Matcher await(int mark, Pattern pattern, Duration timeout) {
        Matcher m = awaitOrNull(mark, pattern, timeout);
        if (m == null) {
            throw new AssertionError(who + " log has no line matching /" + pattern + "/ after " + timeout.toSeconds() + " s; the log:\n" + text());
        }
        return m;
    }

    /** Like {@link #await}, but null when no line matches in time or the process ended. */
    public Matcher awaitOrNull(int mark, Pattern pattern, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (log) {
            while (true) {
                Matcher m = pattern.matcher(log);
                if (m.find(mark)) {
                    return m;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !reader.isAlive()) {
                    return null;
                }
                waitForMore(left);
            }
        }
    }

    /** Waits until at least {@code n} lines after {@code mark} match; fails with the log otherwise. */
    public void awaitCount(int mark, Pattern pattern, int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (log) {
            while (count(mark, pattern) < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !reader.isAlive()) {
                    throw new AssertionError(who + " log has " + count(mark, pattern) + " line(s) matching /" + pattern + "/, not " + n
                            + ", after " + timeout.toSeconds() + " s; the log:\n" + text());
                }
                waitForMore(left);
            }
        }
    }

    /** Waits for the reader to reach the end of the output (after the process exited). */
    public void join(long millis) throws InterruptedException {
        reader.join(millis);
    }

    private void waitForMore(long leftNanos) {
        try {
            log.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(leftNanos), 200)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
