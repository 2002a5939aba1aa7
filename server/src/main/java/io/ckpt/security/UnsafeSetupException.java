package io.ckpt.security;

import java.io.IOException;

/** The server refuses to start because it would be reachable without TLS and credentials; the message says what to run. */
public final class UnsafeSetupException extends IOException {
    public UnsafeSetupException(String message) {
        super(message);
    }
}
