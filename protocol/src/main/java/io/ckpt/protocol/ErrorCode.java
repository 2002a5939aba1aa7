package io.ckpt.protocol;

/** Why a request failed, carried in an {@code ERROR} frame so that clients can branch on it. */
public enum ErrorCode {
    /** The request was malformed or named something invalid (a bad WPAR name, a bad path). */
    BAD_REQUEST(1),
    /** The WPAR, checkpoint or point in time does not exist. */
    NOT_FOUND(2),
    /** No protocol version in common. */
    UNSUPPORTED_VERSION(3),
    /** The datastore's disk is full. */
    NO_SPACE(4),
    /** Stored or received data does not match its digest. */
    CORRUPT(5),
    /** A server-side failure; the server log has the details. */
    INTERNAL(6),
    /** The peer may not do this (its role or scope does not allow it, fencing). */
    REFUSED(7),
    /** The request conflicts with the current state (the server is shutting down, say). */
    CONFLICT(8),
    /**
     * The host does not own the WPAR (it moved by a relocation, failover or take-over): its
     * uploads and starts are refused for good, so retrying is pointless.
     */
    FENCED(9),
    /**
     * The client did not authenticate: no credential, a wrong, unknown or revoked one, or plaintext
     * to a server that requires TLS (docs/SECURITY.md). Authenticated but not allowed is REFUSED.
     */
    UNAUTHORIZED(10);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static ErrorCode of(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return INTERNAL;
    }
}
