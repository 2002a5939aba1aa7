package io.ckpt.protocol;

import java.io.IOException;

/**
 * A request refused for a reason the client must hear, with the {@link ErrorCode} its ERROR frame
 * carries: a bad name, a digest mismatch, a fenced upload, a missing role. Every layer of the
 * server throws it; the connection turns it into ERROR(code, message).
 */
public final class RequestRefusedException extends IOException {
    private final ErrorCode code;

    public RequestRefusedException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
