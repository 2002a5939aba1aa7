package io.ckpt.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.codec.FrameFormat;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.BitSet;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;

/**
 * One connection's uploads, frame by frame (docs/PROTOCOL.md, "Uploads" and "Delta mode"): the
 * begin and its waiting notices, parts and their DATA (paced by a {@link SendPacer} under a rate
 * limit), delta queries, chunks and references, the commit. The server answers only the begin,
 * the queries and the commit; an error it reports comes up at the next frame sent.
 */
final class UploadFrames {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClientConnection connection;
    private IntConsumer uploadWait;
    private SendPacer pacer;

    UploadFrames(ClientConnection connection) {
        this.connection = connection;
    }

    void onUploadWait(IntConsumer listener) {
        this.uploadWait = listener;
    }

    void rateLimit(long bytesPerSecond) {
        this.pacer = bytesPerSecond > 0 ? new SendPacer(bytesPerSecond) : null;
    }

    long throttledNanos() {
        return pacer == null ? 0 : pacer.sleptNanos();
    }

    CkptClient.Begun beginUpload(Frame.UploadBegin begin) throws IOException {
        if (uploadWait != null) {
            connection.write(new Frame.Request("{\"op\":\"upload_notices\"}"), "request upload_notices");
            Frame ack = connection.expect(Frame.class, "request upload_notices");
            if (ack instanceof Frame.Error e && e.code() == ErrorCode.BAD_REQUEST) {
                uploadWait = null; // a server from before waiting turns: it says nothing while an upload waits
            } else if (!(ack instanceof Frame.Response)) {
                throw connection.unexpected(ack, "request upload_notices");
            }
        }
        connection.write(begin, "upload start");
        Frame f = connection.expect(Frame.class, "upload start");
        while (f instanceof Frame.Response r && uploadWait != null) {
            JsonNode notice = JSON.readTree(r.json()).path("upload_queued");
            if (notice.isMissingNode()) {
                break;
            }
            uploadWait.accept(notice.path("ahead").asInt());
            f = connection.expect(Frame.class, "upload start");
        }
        if (f instanceof Frame.UploadStarted s) {
            return new CkptClient.Begun(s.checkpointId(), null);
        }
        if (f instanceof Frame.UploadCommitted c) {
            JsonNode j = JSON.readTree(c.json());
            return new CkptClient.Begun(j.path("id").asLong(), j);
        }
        throw connection.unexpected(f, "upload start");
    }

    void sendEmptyPart(PartInfo part) throws IOException {
        connection.send(new Frame.PartBegin(part));
        connection.send(new Frame.PartEnd(0, ChunkDigest.sha256().digest()));
    }

    long sendPart(PartInfo part, InputStream in, LongConsumer progress) throws IOException {
        connection.send(new Frame.PartBegin(part));
        MessageDigest sha = ChunkDigest.sha256();
        long total = 0;
        while (true) {
            ByteBuf buf = connection.alloc().heapBuffer(FrameFormat.MAX_DATA_PAYLOAD);
            int n;
            try {
                n = fill(in, buf);
            } catch (IOException e) {
                buf.release();
                throw new IOException("reading " + part.name() + ": " + e.getMessage(), e);
            }
            if (n == 0) {
                buf.release();
                break;
            }
            sha.update(buf.array(), buf.arrayOffset() + buf.readerIndex(), n);
            total += n;
            try {
                pace(n);
            } catch (IOException e) {
                buf.release();
                throw e;
            }
            connection.send(new Frame.Data(buf));
            progress.accept(n);
        }
        connection.send(new Frame.PartEnd(total, sha.digest()));
        return total;
    }

    private static int fill(InputStream in, ByteBuf buf) throws IOException {
        byte[] a = buf.array();
        int base = buf.arrayOffset();
        int cap = buf.capacity();
        int n = 0;
        while (n < cap) {
            int r = in.read(a, base + n, cap - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        buf.writerIndex(n);
        return n;
    }

    /** Waits until the rate limit lets {@code bytes} more go (no limit: at once). */
    private void pace(int bytes) throws IOException {
        if (pacer == null) {
            return;
        }
        try {
            pacer.take(bytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    void beginPart(PartInfo part) throws IOException {
        connection.send(new Frame.PartBegin(part));
    }

    void endPart(long length, byte[] sha256) throws IOException {
        connection.send(new Frame.PartEnd(length, sha256));
    }

    BitSet query(byte[] digests) throws IOException {
        Frame.ChunkQuery q = new Frame.ChunkQuery(digests);
        connection.send(q);
        Frame.ChunkMissing m = connection.expect(Frame.ChunkMissing.class, "chunk query");
        if (m.count() != q.count()) {
            throw new ClientException(ErrorCode.BAD_REQUEST, "the server answered a query of " + q.count()
                    + " digests for " + m.count());
        }
        return m.missing();
    }

    void sendChunk(Frame.ChunkData chunk) throws IOException {
        pace(chunk.payload().length);
        connection.send(chunk);
    }

    void sendRefs(Frame.ChunkRefs refs) throws IOException {
        connection.send(refs);
    }

    JsonNode commit() throws IOException {
        connection.send(new Frame.UploadCommit());
        return JSON.readTree(connection.expect(Frame.UploadCommitted.class, "commit").json());
    }

    void abort(String reason) {
        if (connection.isActive()) {
            connection.write(new Frame.UploadAbort(reason), "upload abort");
        }
    }
}
