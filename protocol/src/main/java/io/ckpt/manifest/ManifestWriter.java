package io.ckpt.manifest;

import static io.ckpt.manifest.ManifestFormat.*;

import io.ckpt.protocol.PartInfo;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a manifest as the checkpoint is uploaded, one chunk at a time, so that memory does not
 * grow with the image. {@link #finish()} appends the checksum; the caller makes the file durable.
 */
public final class ManifestWriter implements AutoCloseable {
    private final MessageDigest sha = io.ckpt.chunk.ChunkDigest.sha256();
    private final DataOutputStream out;
    private int parts;
    private int partChunks;
    private boolean inPart;

    public ManifestWriter(OutputStream sink, CheckpointHeader header) throws IOException {
        this.out = new DataOutputStream(new DigestOutputStream(new BufferedOutputStream(sink, 64 * 1024), sha));
        out.write(MAGIC);
        out.writeByte(VERSION);
        out.writeByte(TAG_HEADER);
        out.writeLong(header.id());
        writeString(header.wpar());
        out.writeLong(header.takenAtMillis());
        writeString(header.kind());
        if (header.labels().size() > MAX_LABELS) {
            throw new IllegalArgumentException(header.labels().size() + " labels, more than " + MAX_LABELS);
        }
        out.writeShort(header.labels().size());
        for (String l : header.labels()) {
            writeString(l);
        }
    }

    public void beginPart(PartInfo part) throws IOException {
        if (inPart) {
            throw new IllegalStateException("part " + part.name() + " begun inside another part");
        }
        inPart = true;
        partChunks = 0;
        out.writeByte(TAG_PART_BEGIN);
        writeString(part.name());
        out.writeByte(part.type().code());
        out.writeInt(part.mode());
        out.writeLong(part.mtimeMillis());
        writeString(part.linkTarget());
    }

    /** Appends one chunk: 32 digest bytes at {@code off} and the chunk's uncompressed length. */
    public void chunk(byte[] digest, int off, int rawLength) throws IOException {
        out.writeByte(TAG_CHUNK);
        out.write(digest, off, 32);
        out.writeInt(rawLength);
        partChunks++;
    }

    public void endPart(long length, byte[] sha256) throws IOException {
        if (!inPart) {
            throw new IllegalStateException("part end without a part");
        }
        inPart = false;
        out.writeByte(TAG_PART_END);
        out.writeLong(length);
        out.write(sha256);
        out.writeInt(partChunks);
        parts++;
    }

    /** Writes the END record with the checksum of everything before it, and flushes. */
    public void finish() throws IOException {
        finish(Map.of());
    }

    /**
     * Writes the checkpoint's attributes (what the catalog knew of it at commit: host, health,
     * sizes; see docs/FORMAT.md), then the END record with the checksum, and flushes.
     */
    public void finish(Map<String, String> attributes) throws IOException {
        if (inPart) {
            throw new IllegalStateException("manifest finished inside a part");
        }
        if (attributes.size() > MAX_ATTRIBUTES) {
            throw new IllegalArgumentException(attributes.size() + " attributes, more than " + MAX_ATTRIBUTES);
        }
        if (!attributes.isEmpty()) {
            out.writeByte(TAG_ATTRIBUTES);
            out.writeShort(attributes.size());
            for (var e : new TreeMap<>(attributes).entrySet()) {
                writeString(e.getKey());
                writeString(e.getValue());
            }
        }
        out.writeByte(TAG_END);
        out.writeInt(parts);
        out.flush();
        byte[] digest = sha.digest(); // covers every byte up to and including partCount
        out.write(digest);
        out.flush();
    }

    private void writeString(String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("string longer than 65535 bytes in manifest: " + s.substring(0, 40) + "...");
        }
        out.writeShort(b.length);
        out.write(b);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
