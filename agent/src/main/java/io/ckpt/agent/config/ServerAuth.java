package io.ckpt.agent.config;

import java.nio.file.Path;

/**
 * How the agent proves itself to the server and checks it (docs/SECURITY.md): {@code server.tls-ca},
 * the server's CA certificate (TLS when set); {@code server.token-file}, a file holding this host's
 * token; {@code server.tls-cert}, a PKCS#12 client certificate from {@code ckpt host add --cert}
 * (protected by the token). Each null when not set.
 */
public record ServerAuth(Path tlsCa, Path tokenFile, Path tlsCert) {
    public static final ServerAuth NONE = new ServerAuth(null, null, null);

    /** The credentials to connect with, the token read now (so a replaced token file counts at the next connection). */
    public io.ckpt.agent.net.ClientCredentials credentials() throws java.io.IOException {
        return io.ckpt.agent.net.ClientCredentials.of(tlsCa, tokenFile, tlsCert);
    }
}
