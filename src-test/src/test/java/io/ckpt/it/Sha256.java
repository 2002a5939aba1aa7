package io.ckpt.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.protocol.PartInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 in hex, of files, streams, bytes and restored checkpoints; and a sink that digests what is written to it. */
public final class Sha256 {
    private Sha256() {}

    public static String of(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return of(in);
        }
    }

    public static String of(InputStream in) throws IOException {
        Sink sink = new Sink();
        in.transferTo(sink);
        return sink.hex();
    }

    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** Restores checkpoint {@code id} through {@code c} and returns the SHA-256 of its bytes (all parts in order). */
    public static String ofRestore(CkptClient c, long id) throws IOException {
        MessageDigest sha = digest();
        c.restore(id, new CkptClient.RestoreReceiver() {
            @Override
            public void header(JsonNode checkpoint) {}

            @Override
            public void beginPart(PartInfo part) {}

            @Override
            public void data(ByteBuffer bytes) {
                sha.update(bytes);
            }

            @Override
            public void endPart(long length, byte[] sha256) {}
        });
        return HexFormat.of().formatHex(sha.digest());
    }

    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Digests and counts the bytes written to it; keeps none of them. */
    public static final class Sink extends OutputStream {
        private final MessageDigest sha = digest();
        private long count;

        @Override
        public void write(int b) {
            sha.update((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            sha.update(b, off, len);
            count += len;
        }

        public long count() {
            return count;
        }

        /** The digest of everything written; call once, at the end. */
        public String hex() {
            return HexFormat.of().formatHex(sha.digest());
        }
    }
}
