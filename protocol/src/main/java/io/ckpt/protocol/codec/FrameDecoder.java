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
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

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

    /**
     * What a peer that does not speak the ckpt protocol sent instead, said for a person (an HTTP
     * answer or request, a TLS record), or null: its first bytes read as a frame length are huge,
     * and "frame of 1213486160 bytes" (the bytes "HTTP") tells nobody that the port is wrong.
     */
    private static String otherProtocol(ByteBuf in) {
        int at = in.readerIndex();
        String head = in.toString(at, 4, StandardCharsets.ISO_8859_1); // decode() waits for 4 bytes
        if (head.equals("HTTP")) {
            return "the peer answered in HTTP, not the ckpt protocol: that is an HTTP listener (the server's status page"
                    + " and API, --http, default port 7421); give the protocol port (--listen, default 7420)";
        }
        if (HTTP_METHODS.contains(head)) {
            return "the peer sent an HTTP request, not the ckpt protocol: an HTTP client or proxy is talking to"
                    + " the protocol port; the status page and API are on the --http port (default 7421)";
        }
        if (in.getByte(at) == 0x16 && in.getByte(at + 1) == 0x03) {
            return "the peer sent a TLS handshake, not the ckpt protocol in the clear: connect with TLS"
                    + " (tls-ca / CKPT_TLS_CA, docs/SECURITY.md)";
        }
        return null;
    }

    /** The first four bytes of an HTTP request, by method. */
    private static final Set<String> HTTP_METHODS = Set.of("GET ", "HEAD", "POST", "PUT ", "DELE", "OPTI", "PATC", "CONN",
            "TRAC");

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 4) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (framesDecoded == 0 && length > maxFrame) {
            String other = otherProtocol(in);
            if (other != null) {
                in.skipBytes(in.readableBytes());
                throw new CorruptedFrameException(other);
            }
        }
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
            case CHUNK_QUERY -> {
                int n = count(p, "chunk query");
                yield new Frame.ChunkQuery(readBytes(p, n * 32, "chunk query digests"));
            }
            case CHUNK_MISSING -> {
                int n = count(p, "chunk missing");
                byte[] bits = readBytes(p, (n + 7) / 8, "chunk missing bitmap");
                if (n % 8 != 0 && (bits[bits.length - 1] & 0xff) >>> (n % 8) != 0) {
                    throw new CorruptedFrameException("chunk missing bitmap has bits set past its count " + n);
                }
                yield new Frame.ChunkMissing(n, java.util.BitSet.valueOf(bits));
            }
            case CHUNK_DATA -> {
                byte[] digest = readBytes(p, 32, "chunk digest");
                need(p, 5, "chunk length and codec");
                long raw = p.readUnsignedInt();
                int codec = p.readUnsignedByte();
                if (raw < 1 || raw > Frame.ChunkData.MAX_RAW_LENGTH) {
                    throw new CorruptedFrameException("chunk raw length " + raw + " outside 1.." + Frame.ChunkData.MAX_RAW_LENGTH);
                }
                int len = p.readableBytes();
                if (codec == Frame.ChunkData.CODEC_NONE ? len != raw
                        : codec == Frame.ChunkData.CODEC_LZ4 ? len < 1 || len >= raw : true) {
                    throw new CorruptedFrameException("chunk payload of " + len + " bytes with codec " + codec
                            + " for raw length " + raw + " (codec 0: payload = raw length; 1: LZ4, shorter)");
                }
                yield new Frame.ChunkData(digest, (int) raw, codec, readBytes(p, len, "chunk payload"));
            }
            case CHUNK_REFS -> {
                int n = count(p, "chunk refs");
                need(p, n * 36, "chunk refs");
                byte[] digests = new byte[n * 32];
                int[] lengths = new int[n];
                for (int i = 0; i < n; i++) {
                    p.readBytes(digests, i * 32, 32);
                    long len = p.readUnsignedInt();
                    if (len < 1 || len > Frame.ChunkData.MAX_RAW_LENGTH) {
                        throw new CorruptedFrameException("chunk ref " + i + ": length " + len + " outside 1.."
                                + Frame.ChunkData.MAX_RAW_LENGTH);
                    }
                    lengths[i] = (int) len;
                }
                yield new Frame.ChunkRefs(digests, lengths);
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
                    throw new CorruptedFrameException(String.format("frame type 0x%02x (delta upload) is reserved", type));
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

    /** A delta frame's digest count: 1 to {@link Frame.ChunkQuery#MAX_DIGESTS}. */
    private static int count(ByteBuf p, String what) {
        need(p, 2, what + " count");
        int n = p.readUnsignedShort();
        if (n < 1 || n > Frame.ChunkQuery.MAX_DIGESTS) {
            throw new CorruptedFrameException(what + " count " + n + " outside 1.." + Frame.ChunkQuery.MAX_DIGESTS);
        }
        return n;
    }
}
