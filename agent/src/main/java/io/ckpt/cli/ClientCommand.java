package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.net.CkptClient;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/** Base of every client subcommand: runs {@link #run()}, turns failures into one line and an exit status. */
abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    PrintStream out = System.out;
    PrintStream err = System.err;

    abstract int run() throws Exception;

    /**
     * Sends one JSON request on a connection of its own and returns the answer; the progress
     * notices of a long one (verify, gc, prune) go to stderr.
     */
    JsonNode request(JsonNode request) throws java.io.IOException {
        try (CkptClient c = client.connect()) {
            ProgressLine progress = showProgress(c);
            try {
                return c.request(request);
            } finally {
                progress.finish();
            }
        }
    }

    /** Shows {@code c}'s progress notices on stderr; {@link ProgressLine#finish()} it before printing. */
    ProgressLine showProgress(CkptClient c) {
        ProgressLine progress = new ProgressLine(err, Progress.terminal());
        c.onProgress(progress);
        return progress;
    }

    @Override
    public final Integer call() {
        try {
            return run();
        } catch (Exception e) {
            if (client.debug) {
                e.printStackTrace(err);
            }
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            err.println("ckpt: " + TerminalText.of(m));
            return ExitCode.of(e);
        }
    }
}
