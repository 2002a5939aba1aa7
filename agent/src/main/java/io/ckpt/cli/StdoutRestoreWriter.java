package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.PartInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.util.Arrays;

/** Restore of a single-part checkpoint to stdout; verification as in {@code TreeWriter}. */
final class StdoutRestoreWriter implements CkptClient.RestoreReceiver {
    private final WritableByteChannel out;
    private final MessageDigest sha = ChunkDigest.sha256();
    private long written;

    StdoutRestoreWriter(OutputStream out) {
        this.out = Channels.newChannel(out);
    }

    @Override
    public void header(JsonNode checkpoint) {}

    @Override
    public void beginPart(PartInfo part) {
        sha.reset();
        written = 0;
    }

    @Override
    public void data(ByteBuffer bytes) throws IOException {
        written += bytes.remaining();
        sha.update(bytes.duplicate());
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    @Override
    public void endPart(long length, byte[] sha256) throws IOException {
        if (written != length || !Arrays.equals(sha.digest(), sha256)) {
            throw new CliException(ExitCode.CORRUPT, "restore stream arrived damaged (SHA-256 mismatch): discard the output");
        }
    }
}
