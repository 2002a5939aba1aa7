package io.ckpt.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import java.util.List;

/**
 * Every message of the protocol, one record per frame type. docs/PROTOCOL.md gives the byte
 * layout of each; {@link io.ckpt.protocol.codec.FrameDecoder} and
 * {@link io.ckpt.protocol.codec.FrameEncoder} are the only code that knows it.
 */
public sealed interface Frame {

    /** Client's first frame: the versions it speaks, who it is, and credentials (empty for now). */
    record Hello(int minVersion, int maxVersion, String client, String hostId, byte[] auth) implements Frame {}

    /** Server's answer to {@link Hello}: the version chosen and the largest frame it accepts. */
    record Welcome(int version, String serverId, int maxFrameSize) implements Frame {}

    /** A failed request; the connection stays usable unless the server closes it. */
    record Error(ErrorCode code, String message) implements Frame {}

    /**
     * Starts a checkpoint upload. {@code mode} is {@link #MODE_STREAM} (the server chunks) or
     * {@link #MODE_DELTA} (the client chunks; protocol version 2).
     * {@code key}, when not empty, makes the upload idempotent: a retry with the key of a
     * checkpoint that already completed is answered with UPLOAD_COMMITTED at once. {@code health}
     * is the health the agent found around the checkpoint (unknown, good, bad) with its reason.
     */
    record UploadBegin(String wpar, long takenAtMillis, String kind, int mode, List<String> labels,
            String key, String health, String healthReason) implements Frame {
        public static final int MODE_STREAM = 0;
        /** Delta upload, protocol version 2: the client chunks and sends only the chunks the server lacks. */
        public static final int MODE_DELTA = 1;

        public UploadBegin {
            labels = List.copyOf(labels);
            key = key == null ? "" : key;
            health = health == null || health.isEmpty() ? "unknown" : health;
            healthReason = healthReason == null ? "" : healthReason;
        }

        /** A plain upload: no idempotency key, health unknown. */
        public UploadBegin(String wpar, long takenAtMillis, String kind, int mode, List<String> labels) {
            this(wpar, takenAtMillis, kind, mode, labels, "", "unknown", "");
        }
    }

    /** The id the server gave the upload; the checkpoint stays invisible until committed. */
    record UploadStarted(long checkpointId) implements Frame {}

    /** Starts a part (upload and restore). Data frames follow for FILE and STREAM parts. */
    record PartBegin(PartInfo part) implements Frame {}

    /** A slice of the current part's bytes; the receiver releases it. */
    record Data(ByteBuf bytes) implements Frame, ReferenceCounted {
        @Override public int refCnt() { return bytes.refCnt(); }
        @Override public Data retain() { bytes.retain(); return this; }
        @Override public Data retain(int n) { bytes.retain(n); return this; }
        @Override public Data touch() { bytes.touch(); return this; }
        @Override public Data touch(Object hint) { bytes.touch(hint); return this; }
        @Override public boolean release() { return bytes.release(); }
        @Override public boolean release(int n) { return bytes.release(n); }
    }

    /** Ends a part with its length and the SHA-256 of all its bytes, checked by the receiver. */
    record PartEnd(long length, byte[] sha256) implements Frame {}

    /** Asks the server to make the upload durable and visible. */
    record UploadCommit() implements Frame {}

    /** The committed checkpoint: a JSON object (id, logical and stored bytes, chunks, duration). */
    record UploadCommitted(String json) implements Frame {}

    /** Abandons the upload; nothing of it becomes visible. */
    record UploadAbort(String reason) implements Frame {}

    /**
     * Delta mode (protocol version 2): which of these digests the server lacks in the client's
     * dedup scope. {@code digests} holds 1 to {@link #MAX_DIGESTS} SHA-256 digests, 32 bytes each, back to back.
     */
    record ChunkQuery(byte[] digests) implements Frame {
        public static final int MAX_DIGESTS = 4096;

        public int count() {
            return digests.length / 32;
        }
    }

    /** The answer to a {@link ChunkQuery}: bit {@code i} of {@code missing} is set when digest {@code i} is missing. */
    record ChunkMissing(int count, java.util.BitSet missing) implements Frame {}

    /**
     * Delta mode: one chunk's bytes. {@code codec} is {@link #CODEC_NONE} ({@code payload} is the
     * chunk) or {@link #CODEC_LZ4} ({@code payload} is an LZ4 block of {@code rawLength} bytes).
     */
    record ChunkData(byte[] digest, int rawLength, int codec, byte[] payload) implements Frame {
        public static final int CODEC_NONE = 0;
        public static final int CODEC_LZ4 = 1;
        /** Largest chunk a delta upload may send: the pack record limit. */
        public static final int MAX_RAW_LENGTH = 1024 * 1024;
    }

    /**
     * Delta mode: the next chunks of the open part, in order: {@code digests} (32 bytes each) and
     * the raw length of each. At most {@link ChunkQuery#MAX_DIGESTS} per frame.
     */
    record ChunkRefs(byte[] digests, int[] lengths) implements Frame {
        public int count() {
            return lengths.length;
        }
    }

    /** A query or command as a JSON object with an "op" field (list, show, select). */
    record Request(String json) implements Frame {}

    /** The answer to a {@link Request} or the header of a restore, as a JSON object. */
    record Response(String json) implements Frame {}

    /** Asks for a complete checkpoint's parts: Response, then PartBegin/Data/PartEnd each, then RestoreEnd. */
    record RestoreRequest(long checkpointId) implements Frame {}

    /** All parts of a restore were sent. */
    record RestoreEnd(long checkpointId) implements Frame {}
}
