package io.ckpt.manifest;

import java.nio.charset.StandardCharsets;

/**
 * Manifest layout, version 2 (docs/FORMAT.md, "Manifest"); version 1 is the same without ATTRS:
 *
 * <pre>
 * manifest = MAGIC(8) || VERSION(1) || HEADER || { PART_BEGIN || CHUNK* || PART_END }* || [ATTRS] || END
 * HEADER     = 'C' || id(i64) || wpar(str) || takenAt(i64 ms) || kind(str) || n(u16) || label(str)*n
 * PART_BEGIN = 'P' || name(str) || type(u8) || mode(u32) || mtime(i64 ms) || target(str)
 * CHUNK      = 'K' || sha256(32) || rawLength(u32)
 * PART_END   = 'E' || length(i64) || sha256 of the part(32) || chunkCount(u32)
 * ATTRS      = 'A' || n(u16) || { key(str) || value(str) }*n
 * END        = 'Z' || partCount(u32) || sha256 of every byte before it(32)
 * str        = LEN(u16) || UTF-8
 * </pre>
 */
public final class ManifestFormat {
    public static final byte[] MAGIC = "CKPTMAN\n".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 2;
    /** The oldest version this build still reads. */
    public static final int OLDEST_READABLE_VERSION = 1;
    /** Most attributes a manifest may carry; the reader refuses more. */
    public static final int MAX_ATTRIBUTES = 256;
    /** Most labels a manifest may carry; the reader refuses more. */
    public static final int MAX_LABELS = 1024;
    static final byte TAG_HEADER = 'C';
    static final byte TAG_PART_BEGIN = 'P';
    static final byte TAG_CHUNK = 'K';
    static final byte TAG_PART_END = 'E';
    static final byte TAG_ATTRIBUTES = 'A';
    static final byte TAG_END = 'Z';

    private ManifestFormat() {}
}
