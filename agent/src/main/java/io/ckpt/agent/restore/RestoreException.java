package io.ckpt.agent.restore;

import java.io.IOException;

/** A restore or start that cannot go on, for a reason found on this host; the kind says which. */
public final class RestoreException extends IOException {
    /** Why: callers map these to exit statuses. */
    public enum Kind {
        /** The target cannot be used as asked: not empty, not a directory, no parent. */
        BAD_TARGET,
        /** What arrived does not match the server's digests, or names parts it must not. */
        DAMAGED,
        /** The checkpoint or the WPAR's config gives nothing to start from: no state directory, no restart command. */
        NOT_STARTABLE
    }

    private final Kind kind;

    public RestoreException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
