package io.ckpt.agent.config;

import java.util.Objects;

/** A TCP address written {@code HOST:PORT} or {@code [IPv6]:PORT}; the host is resolved only when used. */
public record Endpoint(String host, int port) {

    public Endpoint {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 1..65535");
        }
    }

    /** Parses {@code HOST:PORT} or {@code [IPv6]:PORT}; the exception's message is the problem. */
    public static Endpoint parse(String text) {
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        String host = colon < 0 ? "" : s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            host = "";
        }
        String port = colon < 0 ? "" : s.substring(colon + 1);
        if (host.isEmpty() || port.isEmpty() || host.chars().anyMatch(Character::isWhitespace)
                || !port.chars().allMatch(c -> c >= '0' && c <= '9') || port.length() > 5) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (such as 127.0.0.1:7420, or [::1]:7420)");
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("'" + text + "': port " + p + " is out of range 1..65535");
        }
        return new Endpoint(host, p);
    }

    /** {@code HOST:PORT}, with brackets around an IPv6 host: what {@link #parse} reads. */
    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
