package io.ckpt.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.CorruptedFrameException;
import java.nio.charset.StandardCharsets;

/**
 * Wire constants: the frame header, type codes and field encodings. See docs/PROTOCOL.md.
 *
 * <pre>
 * frame   = LENGTH(u32, counts TYPE and PAYLOAD) || TYPE(u8) || PAYLOAD
 * string  = LEN(u16) || UTF-8 bytes          (short strings: names, ids); malformed UTF-8 is refused
 * text    = LEN(u32) || UTF-8 bytes          (JSON, messages), bounded by the frame size
 * </pre>
 */
public final class FrameFormat {
    /** "CKPT": first four payload bytes of HELLO, so a stray client fails fast. */
    public static final int HELLO_MAGIC = 0x434B5054;
    public static final int HEADER_LENGTH = 5;
    /** Largest DATA payload a sender puts in one frame. */
    public static final int MAX_DATA_PAYLOAD = 1024 * 1024;
    /** Default largest frame (TYPE + PAYLOAD) a receiver accepts. */
    public static final int DEFAULT_MAX_FRAME = 8 * 1024 * 1024;

    public static final byte HELLO = 0x01;
    public static final byte WELCOME = 0x02;
    public static final byte ERROR = 0x03;
    public static final byte UPLOAD_BEGIN = 0x10;
    public static final byte UPLOAD_STARTED = 0x11;
    public static final byte PART_BEGIN = 0x12;
    public static final byte DATA = 0x13;
    public static final byte PART_END = 0x14;
    public static final byte UPLOAD_COMMIT = 0x15;
    public static final byte UPLOAD_COMMITTED = 0x16;
    public static final byte UPLOAD_ABORT = 0x17;
    /** Delta upload frames, protocol version 2. */
    public static final byte CHUNK_QUERY = 0x20;
    public static final byte CHUNK_MISSING = 0x21;
    public static final byte CHUNK_DATA = 0x22;
    public static final byte CHUNK_REFS = 0x23;
    /** 0x24..0x2F stay reserved for later delta frames. */
    public static final byte RESERVED_DELTA_FIRST = 0x24;
    public static final byte RESERVED_DELTA_LAST = 0x2F;
    public static final byte REQUEST = 0x30;
    public static final byte RESPONSE = 0x31;
    public static final byte RESTORE_REQUEST = 0x40;
    public static final byte RESTORE_END = 0x41;

    private FrameFormat() {}

    static void writeString(ByteBuf out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("string longer than 65535 bytes: " + s.substring(0, 40) + "...");
        }
        out.writeShort(b.length);
        out.writeBytes(b);
    }

    static String readString(ByteBuf in) {
        need(in, 2, "string length");
        int len = in.readUnsignedShort();
        need(in, len, "string");
        return readUtf8(in, len, "string");
    }

    static void writeText(ByteBuf out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.writeBytes(b);
    }

    static String readText(ByteBuf in) {
        need(in, 4, "text length");
        int len = in.readInt();
        if (len < 0) {
            throw new CorruptedFrameException("negative text length " + len);
        }
        need(in, len, "text");
        return readUtf8(in, len, "text");
    }

    /**
     * Refuses malformed UTF-8 rather than replacing it: a replaced byte becomes three, so a
     * lenient decoder could turn a string that fit its length field into one that no longer does.
     */
    private static String readUtf8(ByteBuf in, int len, String what) {
        if (!ByteBufUtil.isText(in, in.readerIndex(), len, StandardCharsets.UTF_8)) {
            throw new CorruptedFrameException(what + " of " + len + " bytes is not valid UTF-8");
        }
        return in.readCharSequence(len, StandardCharsets.UTF_8).toString();
    }

    static byte[] readBytes(ByteBuf in, int len, String what) {
        need(in, len, what);
        byte[] b = new byte[len];
        in.readBytes(b);
        return b;
    }

    static void need(ByteBuf in, int n, String what) {
        if (in.readableBytes() < n) {
            throw new CorruptedFrameException(
                    "frame too short for " + what + ": " + in.readableBytes() + " bytes left, need " + n);
        }
    }
}
