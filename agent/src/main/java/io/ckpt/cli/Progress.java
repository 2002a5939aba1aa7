package io.ckpt.cli;

import java.io.PrintStream;

/**
 * The one-line progress display of a long transfer: bytes, rate and, when the total is known,
 * percentage and ETA. Redrawn at most four times a second on stderr, and only on a terminal
 * (never with --json or when stderr is a file or pipe).
 */
final class Progress {
    private final PrintStream err;
    private final boolean enabled;
    private final String verb;
    private final long total;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw;
    private int lastWidth;

    Progress(PrintStream err, boolean enabled, String verb, long total) {
        this.err = err;
        this.enabled = enabled && System.console() != null;
        this.verb = verb;
        this.total = total;
    }

    static boolean terminal() {
        return System.console() != null;
    }

    void add(long n) {
        done += n;
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw > 250_000_000L) {
            lastDraw = now;
            draw(now);
        }
    }

    private void draw(long now) {
        long elapsed = now - start;
        StringBuilder line = new StringBuilder(verb).append(' ').append(Units.bytes(done));
        if (total > 0) {
            line.append(" of ").append(Units.bytes(total)).append(String.format(" (%d%%)", done * 100 / total));
        }
        line.append(", ").append(Units.rate(done, elapsed));
        if (total > 0 && done > 0 && done < total) {
            long eta = (long) (elapsed * ((double) (total - done) / done));
            line.append(", ETA ").append(Units.duration(eta));
        }
        String s = line.toString();
        err.print("\r" + s + " ".repeat(Math.max(0, lastWidth - s.length())));
        err.flush();
        lastWidth = s.length();
    }

    /** Clears the line so that the command's own output starts clean. */
    void finish() {
        if (enabled && lastWidth > 0) {
            err.print("\r" + " ".repeat(lastWidth) + "\r");
            err.flush();
        }
    }

    long elapsedNanos() {
        return System.nanoTime() - start;
    }
}
