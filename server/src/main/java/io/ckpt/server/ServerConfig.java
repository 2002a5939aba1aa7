package io.ckpt.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/** The server's settings, validated once at start. */
public record ServerConfig(Path datastore, Path catalog, InetSocketAddress listen, int idleTimeoutSeconds,
        long packTargetSize, int maxUploads, long reserveBytes, io.ckpt.retention.RetentionConfig retention,
        InetSocketAddress http, Transport transport, int handshakeTimeoutSeconds, int frameTimeoutSeconds, Fair fair,
        int protocolMax, java.util.Map<String, String> tenantByHost) {
    /** HELLO must arrive within this long of connecting (--handshake-timeout). */
    public static final int DEFAULT_HANDSHAKE_TIMEOUT_SECONDS = 10;
    /** A frame must be whole within this long of its first byte (--frame-timeout): 8 MiB at 70 KB/s. */
    public static final int DEFAULT_FRAME_TIMEOUT_SECONDS = 120;

    /**
     * TLS and authentication (docs/SECURITY.md). {@code AUTO}: TLS and credentials when the
     * datastore's security directory exists ({@code ckpt server init}), else plaintext, which is
     * allowed only on a loopback address. {@code TLS}: as AUTO, but refuse to start without the
     * directory. {@code INSECURE_PLAINTEXT}: never TLS, any address; tokens still checked if any.
     */
    public enum Transport { AUTO, TLS, INSECURE_PLAINTEXT }

    /**
     * Transport chosen from the datastore ({@link Transport#AUTO}), the default handshake and frame
     * deadlines, fairness under load on its defaults (docs/OPERATIONS.md, "Under load"), every
     * protocol version this build knows, every unauthenticated host in the default tenant.
     */
    public ServerConfig(Path datastore, Path catalog, InetSocketAddress listen, int idleTimeoutSeconds,
            long packTargetSize, int maxUploads, long reserveBytes, io.ckpt.retention.RetentionConfig retention,
            InetSocketAddress http) {
        this(datastore, catalog, listen, idleTimeoutSeconds, packTargetSize, maxUploads, reserveBytes, retention, http,
                Transport.AUTO, DEFAULT_HANDSHAKE_TIMEOUT_SECONDS, DEFAULT_FRAME_TIMEOUT_SECONDS, Fair.DEFAULT,
                io.ckpt.protocol.ProtocolVersion.MAX, java.util.Map.of());
    }

    /** Without the HTTP listener. */
    public ServerConfig(Path datastore, Path catalog, InetSocketAddress listen, int idleTimeoutSeconds,
            long packTargetSize, int maxUploads, long reserveBytes, io.ckpt.retention.RetentionConfig retention) {
        this(datastore, catalog, listen, idleTimeoutSeconds, packTargetSize, maxUploads, reserveBytes, retention, null,
                Transport.AUTO, DEFAULT_HANDSHAKE_TIMEOUT_SECONDS, DEFAULT_FRAME_TIMEOUT_SECONDS, Fair.DEFAULT,
                io.ckpt.protocol.ProtocolVersion.MAX, java.util.Map.of());
    }

    public ServerConfig {
        if (transport == null) {
            transport = Transport.AUTO;
        }
        tenantByHost = java.util.Map.copyOf(tenantByHost);
        if (protocolMax < io.ckpt.protocol.ProtocolVersion.MIN || protocolMax > io.ckpt.protocol.ProtocolVersion.MAX) {
            throw new IllegalArgumentException("--protocol-max must be " + io.ckpt.protocol.ProtocolVersion.MIN + ".."
                    + io.ckpt.protocol.ProtocolVersion.MAX + ": " + protocolMax);
        }
        if (maxUploads < 1) {
            throw new IllegalArgumentException("--max-uploads must be at least 1: " + maxUploads);
        }
        if (packTargetSize < (1 << 20)) {
            throw new IllegalArgumentException("--pack-size must be at least 1 MiB");
        }
        if (idleTimeoutSeconds < 1) {
            throw new IllegalArgumentException("--idle-timeout must be at least 1 second: " + idleTimeoutSeconds);
        }
        java.util.Objects.requireNonNull(fair, "fair");
        if (handshakeTimeoutSeconds < 1) {
            throw new IllegalArgumentException("--handshake-timeout must be at least 1 second: " + handshakeTimeoutSeconds);
        }
        if (frameTimeoutSeconds < 1) {
            throw new IllegalArgumentException("--frame-timeout must be at least 1 second: " + frameTimeoutSeconds);
        }
    }

    /**
     * Fair under load: {@code --upload-queue} (uploads that may wait for a slot), {@code --upload-wait}
     * (how long one may wait), {@code --ingest-share} (percent of its time an ingest worker works while a
     * restore runs), {@code --host-upload-rate} (bytes per second read from one host; 0 for no limit),
     * {@code --max-connections} (client connections open at once).
     */
    public record Fair(int uploadQueue, java.time.Duration uploadWait, int ingestShare, long hostUploadRate,
            int maxConnections) {
        /** Most open connections (--max-connections): one more is refused at once. */
        public static final int DEFAULT_MAX_CONNECTIONS = 1024;
        public static final Fair DEFAULT = new Fair(256, java.time.Duration.ofMinutes(5), 20, 0, DEFAULT_MAX_CONNECTIONS);

        /** With the default connection cap. */
        public Fair(int uploadQueue, java.time.Duration uploadWait, int ingestShare, long hostUploadRate) {
            this(uploadQueue, uploadWait, ingestShare, hostUploadRate, DEFAULT_MAX_CONNECTIONS);
        }

        public Fair {
            if (uploadQueue < 0 || uploadQueue > 100_000) {
                throw new IllegalArgumentException("--upload-queue must be 0 to 100000: " + uploadQueue);
            }
            if (uploadWait.compareTo(java.time.Duration.ofSeconds(1)) < 0 || uploadWait.compareTo(java.time.Duration.ofMinutes(9)) > 0) {
                throw new IllegalArgumentException("--upload-wait must be 1 to 540 seconds (clients wait 600 s for an"
                        + " answer): " + uploadWait.toSeconds());
            }
            if (ingestShare < 1 || ingestShare > 100) {
                throw new IllegalArgumentException("--ingest-share must be 1 to 100 (percent): " + ingestShare);
            }
            if (maxConnections < 1 || maxConnections > 1_000_000) {
                throw new IllegalArgumentException("--max-connections must be 1 to 1000000: " + maxConnections);
            }
            if (hostUploadRate != 0 && hostUploadRate < (64 << 10)) {
                // Below that, one 1 MiB DATA frame would keep a socket unread for longer than 16 s.
                throw new IllegalArgumentException("--host-upload-rate must be at least 64KiB/s (or off): "
                        + io.ckpt.server.net.HostRateLimiter.format(hostUploadRate));
            }
        }
    }

    public static final int DEFAULT_PORT = 7420;

    /** {@code --tenant HOST=TENANT}, repeatable: which dedup scope a host's uploads use (default "default"). */
    public static java.util.Map<String, String> parseTenants(java.util.List<String> pairs) {
        java.util.Map<String, String> m = new java.util.HashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0 || eq == p.length() - 1) {
                throw new IllegalArgumentException("--tenant '" + p + "' is not HOST=TENANT");
            }
            m.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return m;
    }

    /** {@code --http}: {@code off} (null: no HTTP listener), else an address as {@link #parseAddress}. */
    public static InetSocketAddress parseHttp(String s) {
        if (s.equals("off")) {
            return null;
        }
        try {
            return parseAddress(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("--listen", "--http") + " (or 'off')");
        }
    }

    /** Parses {@code HOST:PORT}, {@code :PORT} or {@code [v6]:PORT}; port 0 picks a free one. */
    public static InetSocketAddress parseAddress(String s) {
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--listen '" + s + "' is not HOST:PORT");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen '" + s + "': port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--listen '" + s + "': port out of range");
        }
        return new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, port);
    }
}
