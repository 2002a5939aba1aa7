package io.ckpt.store;

import java.nio.charset.StandardCharsets;

/**
 * Pack file layout, version 1 (docs/FORMAT.md, "Packs"). All integers big-endian.
 *
 * <pre>
 * pack    = HEADER || RECORD* || [FOOTER]                 (FOOTER once sealed)
 * HEADER  = MAGIC "CKPTPACK"(8) || VERSION(1)=1 || PACK_ID(u64) || RESERVED(7) = 24 bytes
 * RECORD  = TAG 'R'(1) || SHA256(32) || CODEC(1) || RAW_LEN(u32) || STORED_LEN(u32)
 *           || CRC32C(u32) || DATA(STORED_LEN)              header = 46 bytes
 *           CRC32C covers TAG..STORED_LEN and DATA; SHA256 is of the uncompressed bytes
 * FOOTER  = TAG 'F'(1) || RECORD_COUNT(u32) || DATA_END(u64) || CRC32C(u32) of the 13 bytes before
 * CODEC   = 0 none | 1 LZ4 block
 * </pre>
 */
public final class PackFormat {
    public static final byte[] MAGIC = "CKPTPACK".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 24;
    public static final byte RECORD_TAG = 'R';
    public static final byte FOOTER_TAG = 'F';
    public static final int RECORD_HEADER_LENGTH = 46;
    public static final int FOOTER_LENGTH = 17;
    public static final int CODEC_NONE = 0;
    public static final int CODEC_LZ4 = 1;
    /** Largest chunk a record may hold: bounds every buffer a reader allocates. */
    public static final int MAX_RAW_LENGTH = 4 * 1024 * 1024;

    private PackFormat() {}

    /** The footer that seals a pack of {@code records} records whose data ends at {@code dataEnd}. */
    public static java.nio.ByteBuffer footer(int records, long dataEnd) {
        java.nio.ByteBuffer footer = java.nio.ByteBuffer.allocate(FOOTER_LENGTH);
        footer.put(FOOTER_TAG).putInt(records).putLong(dataEnd);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(footer.array(), 0, 13);
        return footer.putInt((int) crc.getValue()).flip();
    }

    /** Relative path of a pack: {@code packs/<last two hex digits>/<16 hex digits>.pack}. */
    public static String relativePath(long packId) {
        String hex = String.format("%016x", packId);
        return "packs/" + hex.substring(14) + "/" + hex + ".pack";
    }
}
