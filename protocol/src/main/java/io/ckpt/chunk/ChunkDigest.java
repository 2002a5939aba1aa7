package io.ckpt.chunk;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** The SHA-256 of a chunk's uncompressed bytes: a chunk's name everywhere in ckpt. */
public final class ChunkDigest implements Comparable<ChunkDigest> {
    public static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;
    private final int hash;

    private ChunkDigest(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** Wraps a copy of {@code LENGTH} bytes at {@code off}. */
    public static ChunkDigest of(byte[] src, int off) {
        java.util.Objects.checkFromIndexSize(off, LENGTH, src.length);
        return new ChunkDigest(Arrays.copyOfRange(src, off, off + LENGTH));
    }

    public static ChunkDigest of(byte[] digest) {
        if (digest.length != LENGTH) {
            throw new IllegalArgumentException("digest length " + digest.length + " != " + LENGTH);
        }
        return new ChunkDigest(digest.clone());
    }

    public static ChunkDigest parse(String hex) {
        if (hex.length() != 2 * LENGTH) {
            throw new IllegalArgumentException("not a SHA-256 digest: " + hex);
        }
        return new ChunkDigest(HEX.parseHex(hex));
    }

    /** Digest of {@code len} bytes at {@code off}. */
    public static ChunkDigest compute(byte[] data, int off, int len) {
        MessageDigest md = sha256();
        md.update(data, off, len);
        return new ChunkDigest(md.digest());
    }

    /** A new SHA-256 {@link MessageDigest}; callers on hot paths keep one per thread. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every Java platform has SHA-256", e);
        }
    }

    /** A copy of the 32 bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    public void copyTo(byte[] dst, int off) {
        System.arraycopy(bytes, 0, dst, off, LENGTH);
    }

    public boolean matches(byte[] other, int off) {
        return Arrays.equals(bytes, 0, LENGTH, other, off, off + LENGTH);
    }

    public String hex() {
        return HEX.formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkDigest d && Arrays.equals(bytes, d.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(ChunkDigest o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
