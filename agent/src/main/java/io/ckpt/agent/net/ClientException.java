package io.ckpt.agent.net;

import io.ckpt.protocol.ErrorCode;
import java.io.IOException;

/** A request the server refused, or a server that could not be reached. */
public final class ClientException extends IOException {
    /** Set when the server could not be reached at all. */
    private final boolean unreachable;
    private final ErrorCode code;

    public ClientException(ErrorCode code, String message) {
        super(message);
        this.code = code;
        this.unreachable = false;
    }

    private ClientException(String message, Throwable cause) {
        super(message, cause);
        this.code = ErrorCode.INTERNAL;
        this.unreachable = true;
    }

    public static ClientException unreachable(String message, Throwable cause) {
        return new ClientException(message, cause);
    }

    public ErrorCode code() {
        return code;
    }

    public boolean isUnreachable() {
        return unreachable;
    }
}
