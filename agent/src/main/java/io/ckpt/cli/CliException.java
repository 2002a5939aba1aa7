package io.ckpt.cli;

import java.io.IOException;

/** A client-side failure with the exit status it should end the command with. */
final class CliException extends IOException {
    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
