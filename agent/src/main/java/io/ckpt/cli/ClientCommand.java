package io.ckpt.cli;

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

    @Override
    public final Integer call() {
        try {
            return run();
        } catch (Exception e) {
            if (client.debug) {
                e.printStackTrace(err);
            }
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            err.println("ckpt: " + m);
            return ExitCode.of(e);
        }
    }
}
