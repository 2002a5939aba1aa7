package io.ckpt.cli;

import io.ckpt.agent.net.ProgressNotice;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Shows a long request's progress notices on stderr (stdout, --json's included, keeps only the
 * answer): on a terminal one line redrawn in place at each notice, else one line every
 * {@link #EVERY_NANOS} (a log or a pipe should not fill with them), the first at once.
 */
final class ProgressLine implements Consumer<ProgressNotice> {
    static final long EVERY_NANOS = 5_000_000_000L;

    private final PrintStream err;
    private final boolean terminal;
    private long lastLine;
    private int lastWidth;

    ProgressLine(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** "verify: checking chunks 1,234 of 5,000 (pack 12), 12 s". */
    static String describe(ProgressNotice n) {
        StringBuilder s = new StringBuilder(TerminalText.of(n.op())).append(": ").append(TerminalText.of(n.phase()));
        if (n.done() > 0 || n.total() > 0) {
            s.append(String.format(Locale.ROOT, " %,d", n.done()));
            if (n.total() >= 0) {
                s.append(String.format(Locale.ROOT, " of %,d", n.total()));
            }
        }
        if (n.detail() != null) {
            s.append(" (").append(TerminalText.of(n.detail())).append(')');
        }
        return s.append(", ").append(Units.duration(n.elapsedMillis() * 1_000_000)).toString();
    }

    @Override
    public void accept(ProgressNotice n) {
        String line = describe(n);
        if (terminal) {
            err.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
            err.flush();
            lastWidth = line.length();
            return;
        }
        long now = System.nanoTime();
        if (lastLine == 0 || now - lastLine >= EVERY_NANOS) {
            lastLine = now;
            err.println(line);
        }
    }

    /** Clears a redrawn line, so that the command's own output starts clean. */
    void finish() {
        if (terminal && lastWidth > 0) {
            err.print("\r" + " ".repeat(lastWidth) + "\r");
            err.flush();
            lastWidth = 0;
        }
    }
}
