package io.ckpt.protocol.codec;

import static io.ckpt.protocol.codec.FrameFormat.*;

import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * {@link Frame}s to bytes. A DATA frame goes out as a five-byte header followed by its own
 * buffer, so payload bytes are never copied.
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToMessageEncoder<Frame> {
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    private FrameEncoder() {}

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        if (frame instanceof Frame.Data d) {
            ByteBuf header = ctx.alloc().buffer(HEADER_LENGTH);
            header.writeInt(1 + d.bytes().readableBytes()); // length: type + payload
            header.writeByte(DATA);                            // type
            out.add(header);
            out.add(d.bytes().retain());
            return;
        }
        out.add(encode(ctx.alloc(), frame));
    }

    /** Encodes a non-DATA frame into one buffer, header included. */
    public static ByteBuf encode(ByteBufAllocator alloc, Frame frame) {
        ByteBuf b = alloc.buffer(64);
        try {
            return encodeInto(b, frame);
        } catch (RuntimeException e) {
            if (b.refCnt() > 0) {
                b.release();
            }
            throw e;
        }
    }

    private static ByteBuf encodeInto(ByteBuf b, Frame frame) {
        b.writeInt(0);  // length, patched below
        b.writeByte(0); // type, patched below
        byte type;
        if (frame instanceof Frame.Hello h) {
            b.writeInt(HELLO_MAGIC);
            b.writeShort(h.minVersion());
            b.writeShort(h.maxVersion());
            writeString(b, h.client());
            writeString(b, h.hostId());
            if (h.auth().length > 0xFFFF) {
                throw new IllegalArgumentException("credentials longer than 65535 bytes");
            }
            b.writeShort(h.auth().length);
            b.writeBytes(h.auth());
            type = HELLO;
        } else if (frame instanceof Frame.Welcome w) {
            b.writeShort(w.version());
            writeString(b, w.serverId());
            b.writeInt(w.maxFrameSize());
            type = WELCOME;
        } else if (frame instanceof Frame.Error e) {
            b.writeShort(e.code().code());
            writeText(b, e.message());
            type = ERROR;
        } else if (frame instanceof Frame.UploadBegin u) {
            writeString(b, u.wpar());
            b.writeLong(u.takenAtMillis());
            writeString(b, u.kind());
            b.writeByte(u.mode());
            if (u.labels().size() > 0xFFFF) {
                throw new IllegalArgumentException("more than 65535 labels");
            }
            b.writeShort(u.labels().size());
            u.labels().forEach(l -> writeString(b, l));
            writeString(b, u.key());
            writeString(b, u.health());
            writeString(b, u.healthReason());
            type = UPLOAD_BEGIN;
        } else if (frame instanceof Frame.UploadStarted s) {
            b.writeLong(s.checkpointId());
            type = UPLOAD_STARTED;
        } else if (frame instanceof Frame.PartBegin pb) {
            PartInfo p = pb.part();
            writeString(b, p.name());
            b.writeByte(p.type().code());
            b.writeInt(p.mode());
            b.writeLong(p.mtimeMillis());
            writeString(b, p.linkTarget());
            type = PART_BEGIN;
        } else if (frame instanceof Frame.PartEnd pe) {
            b.writeLong(pe.length());
            b.writeBytes(pe.sha256());
            type = PART_END;
        } else if (frame instanceof Frame.ChunkQuery q) {
            checkCount(q.count(), q.digests().length % 32 == 0);
            b.writeShort(q.count());
            b.writeBytes(q.digests());
            type = CHUNK_QUERY;
        } else if (frame instanceof Frame.ChunkMissing m) {
            checkCount(m.count(), m.missing().length() <= m.count());
            b.writeShort(m.count());
            byte[] bits = m.missing().toByteArray();
            b.writeBytes(bits);
            b.writeZero((m.count() + 7) / 8 - bits.length);
            type = CHUNK_MISSING;
        } else if (frame instanceof Frame.ChunkData d) {
            if (d.digest().length != 32) {
                throw new IllegalArgumentException("chunk digest of " + d.digest().length + " bytes");
            }
            b.writeBytes(d.digest());
            b.writeInt(d.rawLength());
            b.writeByte(d.codec());
            b.writeBytes(d.payload());
            type = CHUNK_DATA;
        } else if (frame instanceof Frame.ChunkRefs r) {
            checkCount(r.count(), r.digests().length == 32 * r.count());
            b.writeShort(r.count());
            for (int i = 0; i < r.count(); i++) {
                b.writeBytes(r.digests(), i * 32, 32);
                b.writeInt(r.lengths()[i]);
            }
            type = CHUNK_REFS;
        } else if (frame instanceof Frame.UploadCommit) {
            type = UPLOAD_COMMIT;
        } else if (frame instanceof Frame.UploadCommitted c) {
            writeText(b, c.json());
            type = UPLOAD_COMMITTED;
        } else if (frame instanceof Frame.UploadAbort a) {
            writeText(b, a.reason());
            type = UPLOAD_ABORT;
        } else if (frame instanceof Frame.Request r) {
            writeText(b, r.json());
            type = REQUEST;
        } else if (frame instanceof Frame.Response r) {
            writeText(b, r.json());
            type = RESPONSE;
        } else if (frame instanceof Frame.RestoreRequest r) {
            b.writeLong(r.checkpointId());
            type = RESTORE_REQUEST;
        } else if (frame instanceof Frame.RestoreEnd r) {
            b.writeLong(r.checkpointId());
            type = RESTORE_END;
        } else {
            throw new IllegalArgumentException("cannot encode " + frame.getClass().getSimpleName() + " into one buffer");
        }
        b.setInt(0, b.readableBytes() - 4);
        b.setByte(4, type);
        return b;
    }

    private static void checkCount(int n, boolean shaped) {
        if (n < 1 || n > Frame.ChunkQuery.MAX_DIGESTS || !shaped) {
            throw new IllegalArgumentException("delta frame with " + n + " digests (1.." + Frame.ChunkQuery.MAX_DIGESTS
                    + ", 32 bytes each)");
        }
    }
}
