package io.ckpt.ingest;

import io.ckpt.protocol.ErrorCode;
import java.io.IOException;

/** An upload refused for a reason the client must hear: a bad name, a digest mismatch, ... */
public final class IngestException extends IOException {
    private final ErrorCode code;

    public IngestException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
