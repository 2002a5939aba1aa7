package io.ckpt.protocol;

/** Protocol versions this build speaks. The handshake picks the highest both sides share. */
public final class ProtocolVersion {
    /** Version 1: handshake, stream uploads, JSON requests, restore. */
    public static final int V1 = 1;
    /** Version 2: version 1 plus delta uploads (CHUNK_QUERY, CHUNK_MISSING, CHUNK_DATA, CHUNK_REFS). */
    public static final int V2 = 2;
    /** Version 3: version 2 plus one-round-trip restore (the {@code restore} request: selector in, checkpoint and parts out, then the data). */
    public static final int V3 = 3;
    /**
     * Version 4: version 3 plus progress notices: while a long request (verify, gc, prune,
     * relocate, failover, rebalance) runs, the server sends a RESPONSE {@code {"progress": {...}}}
     * every few seconds before its answer (docs/PROTOCOL.md, "Progress notices").
     */
    public static final int V4 = 4;
    public static final int MIN = V1;
    public static final int MAX = V4;

    private ProtocolVersion() {}

    /** The version both ranges share, highest first, or -1 when they do not overlap. */
    public static int negotiate(int peerMin, int peerMax) {
        return negotiate(MIN, MAX, peerMin, peerMax);
    }

    /** The highest version in both {@code [min, max]} and {@code [peerMin, peerMax]}, or -1. */
    public static int negotiate(int min, int max, int peerMin, int peerMax) {
        int hi = Math.min(max, peerMax);
        return hi >= Math.max(min, peerMin) ? hi : -1;
    }

    /** Whether a connection that speaks {@code version} may upload in delta mode. */
    public static boolean hasDelta(int version) {
        return version >= V2;
    }

    /** Whether a connection that speaks {@code version} may send the {@code restore} request (selector, then the data). */
    public static boolean hasRestoreSelector(int version) {
        return version >= V3;
    }

    /** Whether a connection that speaks {@code version} hears progress notices during long requests. */
    public static boolean hasProgress(int version) {
        return version >= V4;
    }
}
