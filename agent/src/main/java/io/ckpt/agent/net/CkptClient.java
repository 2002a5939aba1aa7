package io.ckpt.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.ProtocolVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;

/**
 * A blocking client over one connection. Calls are made from one thread; frames are read by
 * Netty and handed over through {@link ClientHandler}. This class shakes hands and asks the JSON
 * requests; the transport is {@link ClientConnection}, uploads are {@link UploadFrames}, restores
 * and fetches {@link RestoreFrames}.
 */
public final class CkptClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long REPLY_TIMEOUT_MS = ClientConnection.REPLY_TIMEOUT_MS;

    private final ClientConnection connection;
    private final UploadFrames uploads;
    private final RestoreFrames restores;
    private java.util.function.Consumer<ProgressNotice> progress = n -> { };
    private final String hostId;
    /** The protocol version the handshake chose. */
    private int version;

    /**
     * System property capping the highest protocol version the client offers (default: the
     * highest it speaks), so that a test can run a client one version behind its server.
     */
    public static final String PROTOCOL_MAX_PROPERTY = "ckpt.protocol.max";

    private CkptClient(ClientConnection connection, String hostId) {
        this.connection = connection;
        this.uploads = new UploadFrames(connection);
        this.restores = new RestoreFrames(connection);
        this.hostId = hostId;
    }

    /** The protocol version this connection speaks. */
    public int protocolVersion() {
        return version;
    }

    /** The host id sent in the handshake. */
    public String hostId() {
        return hostId;
    }

    /** The highest version to offer: {@link ProtocolVersion#MAX}, or lower if {@value #PROTOCOL_MAX_PROPERTY} says so. */
    static int offeredMax() {
        int cap = Integer.getInteger(PROTOCOL_MAX_PROPERTY, ProtocolVersion.MAX);
        return Math.max(ProtocolVersion.MIN, Math.min(ProtocolVersion.MAX, cap));
    }

    /** Connects to {@code host:port} in plaintext without credentials and shakes hands. */
    public static CkptClient connect(String hostPort, String hostId) throws IOException {
        return connect(hostPort, hostId, ClientCredentials.NONE);
    }

    /**
     * Connects to {@code host:port}, over TLS when {@code credentials} has a CA certificate, and
     * shakes hands, authenticating with its token or client certificate.
     */
    public static CkptClient connect(String hostPort, String hostId, ClientCredentials credentials) throws IOException {
        CkptClient c = new CkptClient(ClientConnection.open(hostPort, credentials), hostId);
        try {
            c.handshake(credentials);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** HELLO with the versions this client speaks and its credential; WELCOME names the version chosen. */
    private void handshake(ClientCredentials credentials) throws IOException {
        // With a client certificate the token only unlocks its key store and never leaves this host.
        byte[] auth = credentials.token() == null || credentials.clientKeyStore() != null ? new byte[0]
                : credentials.token().getBytes(StandardCharsets.UTF_8);
        connection.write(new Frame.Hello(ProtocolVersion.MIN, offeredMax(), "ckpt-cli/0.1.0", hostId, auth), "handshake");
        Frame reply = connection.expect(Frame.class, "handshake");
        if (!(reply instanceof Frame.Welcome w)) {
            throw new ClientException(ErrorCode.BAD_REQUEST, "unexpected reply to the handshake: " + reply);
        }
        if (w.version() < ProtocolVersion.MIN || w.version() > offeredMax()) {
            throw new ClientException(ErrorCode.UNSUPPORTED_VERSION, "the server chose protocol version " + w.version()
                    + ", this client speaks " + ProtocolVersion.MIN + ".." + offeredMax());
        }
        version = w.version();
    }

    /** Sends a JSON request and returns the JSON response (waiting up to 10 minutes). */
    public JsonNode request(JsonNode request) throws IOException {
        return request(request, REPLY_TIMEOUT_MS);
    }

    /**
     * Like {@link #request(JsonNode)}, for requests that may run longer (a relocation). On a
     * connection of version 4 or later the wait is for the next frame: a long request that keeps
     * sending progress notices may run past it.
     */
    public JsonNode request(JsonNode request, long timeoutMillis) throws IOException {
        connection.write(new Frame.Request(JSON.writeValueAsString(request)), "request " + request.path("op").asText());
        while (true) { // each progress notice of a long request (version 4) starts the wait again
            Frame.Response r = connection.expect(Frame.Response.class, "request " + request.path("op").asText(), timeoutMillis);
            JsonNode answer = JSON.readTree(r.json());
            ProgressNotice notice = ProtocolVersion.hasProgress(version) ? ProgressNotice.of(answer) : null;
            if (notice == null) {
                return answer;
            }
            progress.accept(notice);
        }
    }

    /** Hands each progress notice of a long request (verify, gc, prune, a move) to {@code listener}. */
    public void onProgress(java.util.function.Consumer<ProgressNotice> listener) {
        this.progress = listener;
    }

    /** Starts an upload and returns the id the server gave the checkpoint. */
    public long beginUpload(String wpar, long takenAtMillis, String kind, List<String> labels) throws IOException {
        return beginUpload(new Frame.UploadBegin(wpar, takenAtMillis, kind, Frame.UploadBegin.MODE_STREAM, labels))
                .checkpointId();
    }

    /**
     * How an upload began: a new checkpoint id to fill, or, for a key whose checkpoint already
     * completed (a retry after a lost acknowledgement), that checkpoint and nothing to send.
     */
    public record Begun(long checkpointId, JsonNode alreadyCommitted) {
        public boolean isDuplicate() {
            return alreadyCommitted != null;
        }
    }

    /**
     * Asks the server to say when an upload waits for a slot, and hands each such notice
     * (how many uploads are ahead) to {@code listener} during {@link #beginUpload}. Without it, a
     * waiting upload just gets its UPLOAD_STARTED later (docs/PROTOCOL.md, "Waiting for a slot").
     */
    public void onUploadWait(IntConsumer listener) {
        uploads.onUploadWait(listener);
    }

    /** Sends upload DATA no faster than {@code bytesPerSecond} (0: no limit). */
    public void rateLimit(long bytesPerSecond) {
        uploads.rateLimit(bytesPerSecond);
    }

    /** Nanoseconds the sender slept for {@link #rateLimit} so far. */
    public long throttledNanos() {
        return uploads.throttledNanos();
    }

    public Begun beginUpload(Frame.UploadBegin begin) throws IOException {
        return uploads.beginUpload(begin);
    }

    /** Sends one part without data (directory, link). */
    public void sendEmptyPart(PartInfo part) throws IOException {
        uploads.sendEmptyPart(part);
    }

    /**
     * Sends one part's bytes read from {@code in} until its end, and returns the byte count.
     * {@code progress} hears the bytes as they go.
     */
    public long sendPart(PartInfo part, InputStream in, LongConsumer progress) throws IOException {
        return uploads.sendPart(part, in, progress);
    }

    /** Starts a part; its data follows (DATA in stream mode, CHUNK_REFS in delta mode), then {@link #endPart}. */
    public void beginPart(PartInfo part) throws IOException {
        uploads.beginPart(part);
    }

    /** Ends the open part with its length and SHA-256. */
    public void endPart(long length, byte[] sha256) throws IOException {
        uploads.endPart(length, sha256);
    }

    /** Delta mode: asks which of the digests (32 bytes each, at most 4096) the server lacks; bit set = missing. */
    public BitSet query(byte[] digests) throws IOException {
        return uploads.query(digests);
    }

    /** Delta mode: sends one chunk (not acknowledged), paced like DATA under a rate limit. */
    public void sendChunk(Frame.ChunkData chunk) throws IOException {
        uploads.sendChunk(chunk);
    }

    /** Delta mode: sends the open part's next chunk references (not acknowledged). */
    public void sendRefs(Frame.ChunkRefs refs) throws IOException {
        uploads.sendRefs(refs);
    }

    /** Commits the upload and returns the server's summary of the checkpoint. */
    public JsonNode commit() throws IOException {
        return uploads.commit();
    }

    public void abort(String reason) {
        uploads.abort(reason);
    }

    /** Receives a restore, frame by frame. */
    public interface RestoreReceiver {
        void header(JsonNode checkpoint) throws IOException;

        void beginPart(PartInfo part) throws IOException;

        void data(ByteBuffer bytes) throws IOException;

        void endPart(long length, byte[] sha256) throws IOException;
    }

    public void restore(long checkpointId, RestoreReceiver r) throws IOException {
        restores.restore(checkpointId, r);
    }

    /**
     * Restores in one round trip (protocol version 3): sends the {@code restore} request with the
     * selector of {@code select} (a {@code select} request: wpar, id, at, latest, last_known_good,
     * resume, older_than_id) and returns, once the server has answered, the checkpoint it chose and
     * its parts; the data follows on {@link SelectedRestore#receive}. A refusal (NOT_FOUND, REFUSED)
     * is a {@link ClientException}, as for select.
     */
    public SelectedRestore restore(JsonNode select) throws IOException {
        if (!ProtocolVersion.hasRestoreSelector(version)) {
            throw new IllegalStateException("the restore request needs protocol version " + ProtocolVersion.V3
                    + "; this connection speaks " + version);
        }
        return restores.restore(select);
    }

    /**
     * Sends a {@code fetch} request (chunks of one part by sequence ranges) and returns the bytes
     * as a stream that ends at the server's RESTORE_END. Read it to its end before the next call.
     */
    public InputStream fetch(JsonNode request) throws IOException {
        return restores.fetch(request);
    }

    @Override
    public void close() {
        connection.close();
    }
}
