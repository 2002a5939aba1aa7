package io.ckpt.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/** The server's settings, validated once at start. */
public record ServerConfig(Path datastore, Path catalog, InetSocketAddress listen, int idleTimeoutSeconds,
        long packTargetSize, int maxUploads, long reserveBytes, io.ckpt.retention.RetentionConfig retention,
        InetSocketAddress http, int protocolMax, java.util.Map<String, String> tenantByHost) {
    /** Speaking every protocol version this build knows, every host in the default tenant. */
    public ServerConfig(Path datastore, Path catalog, InetSocketAddress listen, int idleTimeoutSeconds,
            long packTargetSize, int maxUploads, long reserveBytes, io.ckpt.retention.RetentionConfig retention,
            InetSocketAddress http) {
        this(datastore, catalog, listen, idleTimeoutSeconds, packTargetSize, maxUploads, reserveBytes, retention, http,
                io.ckpt.protocol.ProtocolVersion.MAX, java.util.Map.of());
    }

    /** Without the HTTP listener. */
    public ServerConfig(Path datastore, Path catalog, InetSocketAddress listen, int idleTimeoutSeconds,
            long packTargetSize, int maxUploads, long reserveBytes, io.ckpt.retention.RetentionConfig retention) {
        this(datastore, catalog, listen, idleTimeoutSeconds, packTargetSize, maxUploads, reserveBytes, retention, null);
    }

    public ServerConfig {
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
