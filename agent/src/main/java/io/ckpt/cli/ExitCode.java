package io.ckpt.cli;

import io.ckpt.agent.net.ClientException;
import io.ckpt.agent.restore.RestoreException;
import io.ckpt.protocol.ErrorCode;

/** Exit statuses of the client commands, documented in every command's --help. */
final class ExitCode {
    static final int OK = 0;
    static final int ERROR = 1;
    static final int USAGE = 2;
    static final int NOT_FOUND = 3;
    static final int UNREACHABLE = 4;
    static final int CORRUPT = 5;
    static final int NO_SPACE = 6;
    static final int REFUSED = 7;
    /** restore --start only: the WPAR did not come up healthy from any checkpoint tried. */
    static final int NOT_STARTED = 8;
    /** The server did not accept this client's credential (none, wrong, revoked, or no TLS where it needs it). */
    static final int UNAUTHORIZED = 9;

    private ExitCode() {}

    static int of(Throwable t) {
        if (t instanceof ClientException c) {
            if (c.isUnreachable()) {
                return UNREACHABLE;
            }
            ErrorCode code = c.code();
            return switch (code) {
                case NOT_FOUND -> NOT_FOUND;
                case CORRUPT -> CORRUPT;
                case NO_SPACE -> NO_SPACE;
                case REFUSED, FENCED, UNSUPPORTED_VERSION -> REFUSED;
                case BAD_REQUEST -> USAGE;
                case UNAUTHORIZED -> UNAUTHORIZED;
                default -> ERROR;
            };
        }
        if (t instanceof CliException c) {
            return c.exitCode();
        }
        if (t instanceof RestoreException r) {
            return switch (r.kind()) {
                case BAD_TARGET, NOT_STARTABLE -> USAGE;
                case DAMAGED -> CORRUPT;
            };
        }
        String m = String.valueOf(t.getMessage());
        if (m.contains("No space left")) {
            return NO_SPACE;
        }
        return ERROR;
    }
}
