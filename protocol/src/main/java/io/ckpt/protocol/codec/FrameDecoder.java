package io.ckpt.protocol.codec;

import static io.ckpt.protocol.codec.FrameFormat.*;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes to {@link Frame}s. Waits for a whole frame, refuses frames over the maximum size before
 * buffering them, and hands DATA payloads on as retained slices (no copy). A malformed frame
 * raises {@link CorruptedFrameException}; the connection cannot be trusted after it.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrame;
    private long framesDecoded;

    public FrameDecoder(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    /** Whether bytes of a frame not yet whole are buffered (for a deadline on slow frames). Event loop only. */
    public boolean midFrame() {
        return internalBuffer().isReadable();
    }

    /** How many frames this decoder has produced. Event loop only. */
    public long framesDecoded() {
        return framesDecoded;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 4) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length < 1) {
            in.skipBytes(in.readableBytes());
            throw new CorruptedFrameException("frame length " + length + " < 1");
        }
        if (length > maxFrame) {
            in.skipBytes(in.readableBytes());
            throw new TooLongFrameException("frame of " + length + " bytes exceeds the maximum of " + maxFrame);
        }
        if (in.readableBytes() < 4 + length) {
            return;
        }
        in.skipBytes(4);
        byte type = in.readByte();
        ByteBuf payload = in.readSlice((int) length - 1);
        out.add(decodePayload(type, payload));
        framesDecoded++;
    }

    /** Decodes one payload; public for tests and fuzzing. DATA payloads are retained. */
    public static Frame decodePayload(byte type, ByteBuf p) {
        Frame f = switch (type) {
            case HELLO -> {
                need(p, 8, "hello");
                int magic = p.readInt();
                if (magic != HELLO_MAGIC) {
                    throw new CorruptedFrameException(String.format(
                            "hello magic: actual 0x%08x != expected 0x%08x (not a ckpt client?)", magic, HELLO_MAGIC));
                }
                int min = p.readUnsignedShort();
                int max = p.readUnsignedShort();
                String client = readString(p);
                String host = readString(p);
                need(p, 2, "auth length");
                byte[] auth = readBytes(p, p.readUnsignedShort(), "auth");
                yield new Frame.Hello(min, max, client, host, auth);
            }
            case WELCOME -> {
                need(p, 2, "welcome");
                int version = p.readUnsignedShort();
                String id = readString(p);
                need(p, 4, "max frame");
                yield new Frame.Welcome(version, id, p.readInt());
            }
            case ERROR -> {
                need(p, 2, "error code");
                ErrorCode code = ErrorCode.of(p.readUnsignedShort());
                yield new Frame.Error(code, readText(p));
            }
            case UPLOAD_BEGIN -> {
                String wpar = readString(p);
                need(p, 8, "taken-at");
                long takenAt = p.readLong();
                String kind = readString(p);
                need(p, 3, "mode and label count");
                int mode = p.readUnsignedByte();
                int n = p.readUnsignedShort();
                List<String> labels = new ArrayList<>(Math.min(n, 256));
                for (int i = 0; i < n; i++) {
                    labels.add(readString(p));
                }
                String key = readString(p);
                String health = readString(p);
                String reason = readString(p);
                yield new Frame.UploadBegin(wpar, takenAt, kind, mode, labels, key, health, reason);
            }
            case UPLOAD_STARTED -> {
                need(p, 8, "checkpoint id");
                yield new Frame.UploadStarted(p.readLong());
            }
            case PART_BEGIN -> {
                String name = readString(p);
                need(p, 13, "part header");
                int typeCode = p.readUnsignedByte();
                int mode = p.readInt();
                long mtime = p.readLong();
                String target = readString(p);
                try {
                    yield new Frame.PartBegin(new PartInfo(name, PartType.of(typeCode), mode, mtime, target));
                } catch (IllegalArgumentException e) {
                    throw new CorruptedFrameException("bad part: " + e.getMessage());
                }
            }
            case DATA -> new Frame.Data(p.retainedSlice());
            case PART_END -> {
                need(p, 8, "part length");
                long len = p.readLong();
                yield new Frame.PartEnd(len, readBytes(p, 32, "part sha256"));
            }
            case UPLOAD_COMMIT -> new Frame.UploadCommit();
            case UPLOAD_COMMITTED -> new Frame.UploadCommitted(readText(p));
            case UPLOAD_ABORT -> new Frame.UploadAbort(readText(p));
            case REQUEST -> new Frame.Request(readText(p));
            case RESPONSE -> new Frame.Response(readText(p));
            case RESTORE_REQUEST -> {
                need(p, 8, "checkpoint id");
                yield new Frame.RestoreRequest(p.readLong());
            }
            case RESTORE_END -> {
                need(p, 8, "checkpoint id");
                yield new Frame.RestoreEnd(p.readLong());
            }
            default -> {
                if (type >= RESERVED_DELTA_FIRST && type <= RESERVED_DELTA_LAST) {
                    throw new CorruptedFrameException(String.format("frame type 0x%02x (delta upload) is not supported by protocol version 1", type));
                }
                throw new CorruptedFrameException(String.format("unknown frame type 0x%02x", type));
            }
        };
        if (!(f instanceof Frame.Data) && p.isReadable()) {
            throw new CorruptedFrameException(String.format(
                    "frame type 0x%02x has %d trailing bytes", type, p.readableBytes()));
        }
        return f;
    }
}
