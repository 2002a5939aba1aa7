package io.ckpt.cli;

import io.ckpt.agent.net.CkptClient;
import java.io.IOException;
import io.ckpt.agent.net.ClientCredentials;
import io.ckpt.protocol.NameLimits;
import java.net.InetAddress;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every client command shares: where the server is, who we are, how to report. */
final class ClientOptions {
    static final String DEFAULT_SERVER = "127.0.0.1:7420";

    @Option(names = "--server", paramLabel = "HOST:PORT",
            description = "Server address (default: $CKPT_SERVER, else " + DEFAULT_SERVER + ").")
    String server;

    @Option(names = "--host-id", paramLabel = "NAME", description = "This host's name as the server records it (default: the hostname).")
    String hostId;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "The server's CA certificate (DATASTORE/security/ca.crt, made by 'ckpt server init'): connect"
                    + " with TLS and accept only a server it signed (default: $CKPT_TLS_CA).")
    Path tlsCa;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding this client's token ('ckpt host add'), sent to the server over TLS"
                    + " (default: $CKPT_TOKEN_FILE, else the token itself in $CKPT_TOKEN).")
    Path tokenFile;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Client certificate (PKCS#12 from 'ckpt host add --cert', protected by the token) to"
                    + " authenticate with (default: $CKPT_TLS_CERT).")
    Path tlsCert;

    @Option(names = "--debug", description = "Print stack traces with errors.")
    boolean debug;

    /** Whether any credential option or variable is given, so that an agent config's should not be used. */
    boolean hasCredentials() {
        return tlsCa != null || tokenFile != null || tlsCert != null || env("CKPT_TLS_CA") != null
                || env("CKPT_TOKEN_FILE") != null || env("CKPT_TOKEN") != null || env("CKPT_TLS_CERT") != null;
    }

    /** TLS and the credential from the options, else the environment. */
    ClientCredentials credentials() throws IOException {
        Path ca = tlsCa != null ? tlsCa : pathEnv("CKPT_TLS_CA");
        Path cert = tlsCert != null ? tlsCert : pathEnv("CKPT_TLS_CERT");
        Path file = tokenFile != null ? tokenFile : pathEnv("CKPT_TOKEN_FILE");
        if (file != null) {
            return ClientCredentials.of(ca, file, cert);
        }
        String token = env("CKPT_TOKEN");
        return new ClientCredentials(ca, token == null ? null : token.strip(), cert);
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? null : v;
    }

    private static Path pathEnv(String name) {
        String v = env(name);
        return v == null ? null : Path.of(v);
    }

    String server() {
        if (server != null && !server.isBlank()) {
            return server;
        }
        String env = System.getenv("CKPT_SERVER");
        return env != null && !env.isBlank() ? env : DEFAULT_SERVER;
    }

    /** --host-id, else the hostname; refused (exit 2) when longer than the server accepts. */
    String hostId() throws CliException {
        if (hostId != null) {
            return checkLength("--host-id", hostId, NameLimits.MAX_HOST);
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * {@code value} when it is at most {@code max} characters long, else a usage error naming the
     * option and the limit: the server would refuse it, and past 65,535 bytes it does not even fit
     * in a frame. Only the length is checked here; the server judges the characters.
     */
    static String checkLength(String option, String value, int max) throws CliException {
        if (value != null && value.length() > max) {
            throw new CliException(ExitCode.USAGE, option + " is " + value.length() + " characters long; the server"
                    + " accepts at most " + max);
        }
        return value;
    }

    CkptClient connect() throws IOException {
        return CkptClient.connect(server(), hostId(), credentials());
    }
}
