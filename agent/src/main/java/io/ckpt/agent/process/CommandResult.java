package io.ckpt.agent.process;

import java.time.Duration;

/** How a command ended: its exit code (or a timeout) and the tail of its standard error. */
public record CommandResult(String command, int exitCode, boolean timedOut, Duration duration, String stderrTail) {
    /** The command line as a shell would read it back: words with spaces or quotes are quoted. */
    public static String quote(java.util.List<String> argv) {
        StringBuilder b = new StringBuilder();
        for (String w : argv) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(w.isEmpty() || w.matches(".*[\\s'\"\\\\$`].*") ? "'" + w.replace("'", "'\\''") + "'" : w);
        }
        return b.toString();
    }

    public boolean ok() {
        return !timedOut && exitCode == 0;
    }

    /** One line for logs and failure records: what ran, how it ended, the last of its stderr. */
    public String describe() {
        String how = timedOut ? "timed out after " + duration.toSeconds() + " s" : "exited " + exitCode;
        String tail = stderrTail.isBlank() ? "" : ": " + stderrTail.strip().replace('\n', ' ');
        return "'" + command + "' " + how + tail;
    }
}
