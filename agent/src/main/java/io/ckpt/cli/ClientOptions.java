package io.ckpt.cli;

import io.ckpt.agent.net.CkptClient;
import java.io.IOException;
import java.net.InetAddress;
import picocli.CommandLine.Option;

/** Options every client command shares: where the server is, who we are, how to report. */
final class ClientOptions {
    static final String DEFAULT_SERVER = "127.0.0.1:7420";

    @Option(names = "--server", paramLabel = "HOST:PORT",
            description = "Server address (default: $CKPT_SERVER, else " + DEFAULT_SERVER + ").")
    String server;

    @Option(names = "--host-id", paramLabel = "NAME", description = "This host's name as the server records it (default: the hostname).")
    String hostId;

    @Option(names = "--debug", description = "Print stack traces with errors.")
    boolean debug;

    String server() {
        if (server != null && !server.isBlank()) {
            return server;
        }
        String env = System.getenv("CKPT_SERVER");
        return env != null && !env.isBlank() ? env : DEFAULT_SERVER;
    }

    String hostId() {
        if (hostId != null) {
            return hostId;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    CkptClient connect() throws IOException {
        return CkptClient.connect(server(), hostId());
    }
}
