package io.ckpt.protocol;

/** Protocol versions this build speaks. The handshake picks the highest both sides share. */
public final class ProtocolVersion {
    /** Version 1: handshake, stream uploads, JSON requests, restore. Delta frame types reserved. */
    public static final int V1 = 1;
    public static final int MIN = V1;
    public static final int MAX = V1;

    private ProtocolVersion() {}

    /** The version both ranges share, highest first, or -1 when they do not overlap. */
    public static int negotiate(int peerMin, int peerMax) {
        int hi = Math.min(MAX, peerMax);
        return hi >= Math.max(MIN, peerMin) ? hi : -1;
    }
}
