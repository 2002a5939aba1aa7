package io.ckpt.audit;

/**
 * Who asked for an audited action. {@code principal} is the authenticated name when the
 * connection has one (empty until then), {@code host} the host id the client gave in HELLO,
 * {@code peer} the remote address; the server's own work (schedules, automatic failover,
 * start and stop) is {@link #SERVER}.
 */
public record Actor(String principal, String host, String peer) {
    public static final Actor SERVER = new Actor("", "", "");

    public Actor {
        principal = principal == null ? "" : principal;
        host = host == null ? "" : host;
        peer = peer == null ? "" : peer;
    }

    /** The name audit queries match with {@code --actor}: the principal, else the host id, else "server" or "anonymous". */
    public String name() {
        if (!principal.isEmpty()) {
            return principal;
        }
        if (!host.isEmpty()) {
            return host;
        }
        return peer.isEmpty() ? "server" : "anonymous";
    }
}
