package io.ckpt.bench.path;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.upload.CheckpointSender;
import io.ckpt.protocol.Frame;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.retention.RetentionConfig;
import io.ckpt.server.CkptServer;
import io.ckpt.server.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

/**
 * A server started in this JVM on a loopback port (as the server's own tests do), with an empty
 * or existing datastore, and one client connected to it. The server runs with its defaults:
 * 256 MiB packs, no retention schedule, no free-space reserve.
 */
final class LoopbackServer implements AutoCloseable {
    static final String WPAR = "bench";

    static {
        // The server logs every start and commit at INFO; keep the benchmark output readable.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }

    private final CkptServer server;
    private final CkptClient client;
    private long takenAt = 1_700_000_000_000L;

    private LoopbackServer(CkptServer server, CkptClient client) {
        this.server = server;
        this.client = client;
    }

    static LoopbackServer start(Path datastore) throws IOException {
        CkptServer server = CkptServer.start(new ServerConfig(datastore, null,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 300, 256L << 20, 4, 0, RetentionConfig.NONE));
        try {
            CkptClient client = CkptClient.connect("127.0.0.1:" + server.address().getPort(), "bench-host");
            return new LoopbackServer(server, client);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Uploads {@code image} as one stream part and returns the server's summary of the checkpoint. */
    JsonNode upload(byte[] image) throws IOException {
        return upload(image, CheckpointSender.Mode.STREAM);
    }

    /**
     * Uploads {@code image} as one part in {@code mode} (as the CLI does: in delta mode the previous
     * checkpoint's chunk list is the first guess) and returns the server's summary of the checkpoint
     * with the client's {@code bytes_sent}.
     */
    JsonNode upload(byte[] image, CheckpointSender.Mode mode) throws IOException {
        long at = takenAt += 3_600_000;
        return CheckpointSender.send(client, new Frame.UploadBegin(WPAR, at, "scheduled", Frame.UploadBegin.MODE_STREAM,
                List.of()), List.of(new CheckpointSender.Part(new PartInfo("memory.img", PartType.STREAM, 0600, at, ""),
                () -> new ByteArrayInputStream(image))), n -> { }, mode, notice -> { });
    }

    /**
     * Restores checkpoint {@code id}, checking each part's length and SHA-256 as the CLI does, and
     * returns the bytes received; they are not written anywhere.
     */
    long restore(long id) throws IOException {
        Receiver r = new Receiver();
        client.restore(id, r);
        return r.total;
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }

    private static final class Receiver implements CkptClient.RestoreReceiver {
        private final MessageDigest sha = ChunkDigest.sha256();
        private long partBytes;
        private long total;

        @Override
        public void header(JsonNode checkpoint) {
            // nothing to prepare
        }

        @Override
        public void beginPart(PartInfo part) {
            sha.reset();
            partBytes = 0;
        }

        @Override
        public void data(ByteBuffer bytes) {
            partBytes += bytes.remaining();
            sha.update(bytes);
        }

        @Override
        public void endPart(long length, byte[] sha256) throws IOException {
            if (partBytes != length || !Arrays.equals(sha.digest(), sha256)) {
                throw new IOException("restored part differs: " + partBytes + " bytes, announced " + length);
            }
            total += partBytes;
        }
    }
}
