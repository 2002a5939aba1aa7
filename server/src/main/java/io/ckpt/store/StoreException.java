package io.ckpt.store;

import java.io.IOException;

/** A datastore failure that callers branch on. */
public class StoreException extends IOException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The datastore's disk (or the catalog's) is full. */
    public static final class NoSpace extends StoreException {
        public NoSpace(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Stored bytes do not match what the catalog or the record header says they are. */
    public static final class Corrupt extends StoreException {
        public Corrupt(String message) {
            super(message);
        }
    }

    /** The datastore was written by a newer ckpt, or is not a datastore. */
    public static final class Incompatible extends StoreException {
        public Incompatible(String message) {
            super(message);
        }
    }

    /** The server is shutting down and takes no more writes. */
    public static final class Closed extends StoreException {
        public Closed(String message) {
            super(message);
        }
    }

    /** Another server holds the datastore. */
    public static final class Locked extends StoreException {
        public Locked(String message) {
            super(message);
        }
    }

    /** Wraps {@code e} as {@link NoSpace} when it is a full disk, else returns it unchanged. */
    public static IOException classify(IOException e, String what) {
        if (e instanceof StoreException) {
            return e;
        }
        String m = String.valueOf(e.getMessage());
        if (m.contains("No space left") || m.contains("Disk quota exceeded") || m.contains("SQLITE_FULL")) {
            return new NoSpace(what + ": disk full (" + m + "); free space on the datastore's file system and retry", e);
        }
        return e;
    }
}
