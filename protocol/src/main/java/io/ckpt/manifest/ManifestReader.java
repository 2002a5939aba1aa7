package io.ckpt.manifest;

import static io.ckpt.manifest.ManifestFormat.*;

import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a manifest record by record into a {@link Visitor}, checking the magic, the version and,
 * at the end, the checksum. Nothing the visitor saw may be trusted until {@link #read} returns.
 */
public final class ManifestReader {
    /** Receives the manifest's records in file order. */
    public interface Visitor {
        void header(CheckpointHeader header) throws IOException;

        void beginPart(PartInfo part) throws IOException;

        void chunk(byte[] digest, int rawLength) throws IOException;

        void endPart(long length, byte[] sha256, int chunkCount) throws IOException;

        /** The checkpoint's attributes at commit (version 2 and later; never called for version 1). */
        default void attributes(Map<String, String> attributes) throws IOException {}
    }

    private ManifestReader() {}

    public static void read(InputStream source, String what, Visitor v) throws IOException {
        MessageDigest sha = ChunkDigest.sha256();
        DigestInputStream din = new DigestInputStream(new BufferedInputStream(source, 64 * 1024), sha);
        DataInputStream in = new DataInputStream(din);
        try {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new ManifestException(what + ": not a ckpt manifest (magic "
                        + HexFormat.of().formatHex(magic) + " != " + HexFormat.of().formatHex(MAGIC) + ")");
            }
            int version = in.readUnsignedByte();
            if (version < OLDEST_READABLE_VERSION || version > VERSION) {
                throw new ManifestException(what + ": manifest version " + version
                        + " is not supported (this build reads versions " + OLDEST_READABLE_VERSION + " to " + VERSION
                        + ")" + (version > VERSION ? "; upgrade ckpt" : ""));
            }
            expect(in, TAG_HEADER, what);
            long id = in.readLong();
            String wpar = readString(in, what);
            long takenAt = in.readLong();
            String kind = readString(in, what);
            int n = in.readUnsignedShort();
            if (n > ManifestFormat.MAX_LABELS) {
                throw new ManifestException(what + ": " + n + " labels, more than " + ManifestFormat.MAX_LABELS);
            }
            List<String> labels = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                labels.add(readString(in, what));
            }
            v.header(new CheckpointHeader(id, wpar, takenAt, kind, labels));
            byte[] digest = new byte[32];
            int parts = 0;
            int chunks = 0;
            boolean inPart = false;
            boolean attributesSeen = false;
            while (true) {
                int tag = in.readUnsignedByte();
                boolean expectInPart = tag == TAG_CHUNK || tag == TAG_PART_END;
                if ((tag == TAG_PART_BEGIN || tag == TAG_END || tag == TAG_ATTRIBUTES || expectInPart)
                        && inPart != expectInPart) {
                    throw new ManifestException(what + ": record '" + (char) tag + "' "
                            + (inPart ? "inside a part" : "outside a part"));
                }
                if (tag == TAG_PART_BEGIN) {
                    inPart = true;
                    String name = readString(in, what);
                    int type = in.readUnsignedByte();
                    int mode = in.readInt();
                    long mtime = in.readLong();
                    String target = readString(in, what);
                    try {
                        v.beginPart(new PartInfo(name, PartType.of(type), mode, mtime, target));
                    } catch (IllegalArgumentException e) {
                        throw new ManifestException(what + ": bad part: " + e.getMessage());
                    }
                    chunks = 0;
                } else if (tag == TAG_CHUNK) {
                    in.readFully(digest);
                    int rawLength = in.readInt();
                    if (rawLength <= 0) {
                        throw new ManifestException(what + ": chunk of length " + rawLength);
                    }
                    v.chunk(digest, rawLength);
                    chunks++;
                } else if (tag == TAG_PART_END) {
                    long length = in.readLong();
                    byte[] partSha = new byte[32];
                    in.readFully(partSha);
                    int count = in.readInt();
                    if (count != chunks) {
                        throw new ManifestException(what + ": part chunk count: actual " + chunks + " != expected " + count);
                    }
                    v.endPart(length, partSha, count);
                    parts++;
                    inPart = false;
                } else if (tag == TAG_ATTRIBUTES && version >= 2 && !attributesSeen) {
                    attributesSeen = true;
                    int count = in.readUnsignedShort();
                    if (count > MAX_ATTRIBUTES) {
                        throw new ManifestException(what + ": " + count + " attributes, more than " + MAX_ATTRIBUTES);
                    }
                    Map<String, String> attrs = new LinkedHashMap<>();
                    for (int i = 0; i < count; i++) {
                        String key = readString(in, what);
                        if (attrs.put(key, readString(in, what)) != null) {
                            throw new ManifestException(what + ": attribute '" + key + "' twice");
                        }
                    }
                    v.attributes(attrs);
                } else if (tag == TAG_END) {
                    int count = in.readInt();
                    byte[] expected = sha.digest();
                    byte[] actual = new byte[32];
                    in.readFully(actual);
                    if (!Arrays.equals(actual, expected)) {
                        throw new ManifestException(what + ": manifest checksum mismatch (damaged file)");
                    }
                    if (count != parts) {
                        throw new ManifestException(what + ": part count: actual " + parts + " != expected " + count);
                    }
                    if (in.read() != -1) {
                        throw new ManifestException(what + ": bytes after the end record");
                    }
                    return;
                } else {
                    throw new ManifestException(what + ": unknown record tag " + tag);
                }
            }
        } catch (EOFException e) {
            throw new ManifestException(what + ": manifest is truncated");
        }
    }

    private static void expect(DataInputStream in, byte tag, String what) throws IOException {
        int t = in.readUnsignedByte();
        if (t != tag) {
            throw new ManifestException(what + ": record tag: actual " + t + " != expected " + tag);
        }
    }

    /**
     * Refuses malformed UTF-8 rather than replacing it, as the frame decoder does: a replaced byte
     * becomes three, so a string that fit its length field could no longer be written back.
     */
    private static String readString(DataInputStream in, String what) throws IOException {
        int len = in.readUnsignedShort();
        byte[] b = new byte[len];
        in.readFully(b);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new ManifestException(what + ": string of " + len + " bytes is not valid UTF-8");
        }
    }
}
