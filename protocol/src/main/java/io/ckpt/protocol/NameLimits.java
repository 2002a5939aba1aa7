package io.ckpt.protocol;

/**
 * The longest names the server accepts, in characters (part names: see {@link PartNames}): the client checks them before sending (a
 * name past a frame's 65,535-byte string would not even encode) and the server enforces them
 * (io.ckpt.catalog.Names at ingest, io.ckpt.catalog.RowLimits on rows read back).
 */
public final class NameLimits {
    /** A WPAR name: 1 to 64 letters, digits, '_', '.' or '-'. */
    public static final int MAX_WPAR = 64;
    /** A checkpoint kind: manual, scheduled, final, ... */
    public static final int MAX_KIND = 32;
    /** A host id (HELLO's, and the host a checkpoint records). */
    public static final int MAX_HOST = 256;
    /** An upload's idempotency key. */
    public static final int MAX_UPLOAD_KEY = 128;
    /** Labels on one checkpoint. */
    public static final int MAX_LABELS = 64;
    /** One label, a word or KEY=VALUE. */
    public static final int MAX_LABEL_LENGTH = 256;
    /**
     * One component of a new part's name, in bytes of the file's name (not of its escaped text):
     * NAME_MAX of Linux and AIX JFS2. Checked at ingest ({@link PartNames#checkStorable}).
     */
    public static final int MAX_PART_COMPONENT = 255;

    private NameLimits() {}
}
