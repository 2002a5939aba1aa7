package io.ckpt.security;

/**
 * Who is on a connection: the credential's name (which is the host id when credentials are
 * configured), its role and its tenant (the dedup scope; "default" unless given).
 * {@code authenticated} is false for the local client of a loopback server without credentials,
 * which may do everything under the name it chose in HELLO.
 */
public record Principal(String name, Role role, String tenant, boolean authenticated) {
    public static final String DEFAULT_TENANT = "default";

    /** The unauthenticated local client of a server with no credentials (the quick start). */
    public static Principal local(String hostId) {
        return new Principal(hostId, Role.ADMIN, DEFAULT_TENANT, false);
    }
}
