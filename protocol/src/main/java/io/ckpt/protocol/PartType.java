package io.ckpt.protocol;

/** What a checkpoint part is. Part of the wire and manifest formats: codes never change. */
public enum PartType {
    /** A regular file of a statefile directory, or a single pushed file. */
    FILE(1),
    /** A directory entry (no data), so that empty directories, modes and times come back. */
    DIRECTORY(2),
    /** A symbolic link, stored as its target, never followed. */
    SYMLINK(3),
    /** Bytes read from a pipe (stdin, a command's stdout): one part, no file metadata. */
    STREAM(4);

    private final int code;

    PartType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public boolean hasData() {
        return this == FILE || this == STREAM;
    }

    public static PartType of(int code) {
        for (PartType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown part type " + code);
    }
}
