package io.ckpt.server;

import io.ckpt.store.StoreException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ckpt server}: runs the checkpoint server until SIGTERM or SIGINT. */
@Command(
        name = "ckpt server",
        mixinStandardHelpOptions = true,
        version = "ckpt 0.1.0",
        sortOptions = false,
        usageHelpAutoWidth = true,
        subcommands = {InitCommand.class, RebuildCatalogCommand.class},
        description = {
            "Runs the ckpt server: receives checkpoint images from agents and the ckpt CLI, stores each distinct chunk once (content-defined chunking, SHA-256, LZ4) in the datastore, indexes checkpoints in a SQLite catalog, and streams them back on restore.",
            "",
            "The datastore is created on first start. One server per datastore: a second one refuses to start and names the holder; the lock of a server that died is taken over. Uploads that were cut off by a crash are discarded at the next start.",
            "",
            "Stops cleanly on SIGTERM or SIGINT: uploads in progress are discarded, never half-stored.",
            "",
            "Security (docs/SECURITY.md): after 'ckpt server init' the server speaks TLS and every client must authenticate with a token or client certificate. Without it the server accepts unauthenticated plaintext on a loopback address only, and refuses to start on any other unless given --insecure-plaintext."
        },
        footer = {
            "",
            "Exit status: 0 stopped cleanly, 1 could not start (message says why), 2 bad usage.",
            "",
            "Examples:",
            "  ckpt server",
            "  ckpt server --datastore /srv/ckpt --listen 127.0.0.1:0",
            "  ckpt server init --datastore /srv/ckpt --name ckpt.example.org      (TLS and credentials: see its --help)",
            "  ckpt server --datastore /srv/ckpt --listen :7420 --http :7421      (every interface: needs init first)",
            "  ckpt server --datastore /nfs/ckpt --catalog /var/lib/ckpt/catalog.db",
            "  ckpt server rebuild-catalog --datastore /srv/ckpt      (catalog lost: see its --help)"
        })
public final class ServerMain implements Callable<Integer> {
    @Option(names = "--datastore", paramLabel = "DIR", defaultValue = "ckpt-data",
            description = "Datastore directory: packs, manifests, locks (default: ${DEFAULT-VALUE}).")
    Path datastore;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7420",
            description = "Address to listen on; port 0 picks a free port and logs it (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--http", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7421",
            description = "Address of the HTTP listener: status page at /, Prometheus metrics at /metrics, JSON API at"
                    + " /api/v1/ (docs/API.md); 'off' for none, port 0 picks a free port (default: ${DEFAULT-VALUE}).")
    String http;

    @Option(names = "--catalog", paramLabel = "PATH",
            description = "SQLite catalog file (default: DATASTORE/catalog.db). It must be on a local file system:"
                    + " SQLite's WAL does not work over NFS, so give a local path when the datastore is on NFS.")
    Path catalog;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "Drop a connection that sends nothing for this long (default: ${DEFAULT-VALUE}).")
    int idleTimeout;

    @Option(names = "--handshake-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "Drop a connection whose client has not sent HELLO this long after connecting (default: ${DEFAULT-VALUE}).")
    int handshakeTimeout;

    @Option(names = "--frame-timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "Drop a connection on which a frame is still incomplete this long after its first byte arrived:"
                    + " a client trickling bytes (slow-loris) is dropped although it is never idle. The server's own"
                    + " back-pressure (a busy disk) does not count. The default allows an 8 MiB frame at about 70 KB/s"
                    + " (default: ${DEFAULT-VALUE}).")
    int frameTimeout;

    @Option(names = "--max-uploads", paramLabel = "N", defaultValue = "16",
            description = "Most uploads in progress at once; each holds about 6 MiB of heap. Further uploads wait"
                    + " their turn (--upload-queue) (default: ${DEFAULT-VALUE}).")
    int maxUploads;

    @Option(names = "--upload-queue", paramLabel = "N", defaultValue = "256",
            description = "Most uploads waiting for a slot, first come first served; a waiting upload holds no heap"
                    + " beyond its connection. One more is refused with 'server busy' and its client retries later; 0"
                    + " refuses at once as before (default: ${DEFAULT-VALUE}).")
    int uploadQueue;

    @Option(names = "--upload-wait", paramLabel = "SECONDS", defaultValue = "300",
            description = "Longest an upload waits for its slot before it is refused with 'server busy', 1 to 540"
                    + " (default: ${DEFAULT-VALUE}).")
    int uploadWait;

    @Option(names = "--ingest-share", paramLabel = "PERCENT", defaultValue = "20",
            description = "Restores ahead of ingest: while a restore runs, each ingest worker works at most this share"
                    + " of its time and sleeps the rest, so the restore gets the disk and CPU; 100 turns it off"
                    + " (default: ${DEFAULT-VALUE}).")
    int ingestShare;

    @Option(names = "--host-upload-rate", paramLabel = "RATE", defaultValue = "off",
            description = "Most upload bytes per second read from one host (by host id, all its connections"
                    + " together), e.g. 100MiB/s or 512KiB/s; the socket is read no faster (default: ${DEFAULT-VALUE}).")
    String hostUploadRate;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "1024",
            description = "Most client connections open at once (agents, CLI, restores; each holds a socket, buffers and"
                    + " a HELLO timer). One more is refused at once with 'server busy' and a log line"
                    + " (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--pack-size", paramLabel = "MiB", defaultValue = "256",
            description = "Size at which a pack file is sealed and a new one begun, in MiB (default: ${DEFAULT-VALUE}).")
    int packSizeMiB;

    @Option(names = "--reserve", paramLabel = "MiB",
            description = "Free space uploads must leave on the datastore's file system, so that restore, prune, gc and"
                    + " verify keep working; an upload that would go below it is refused (default: 5%% of the file system,"
                    + " at most 1024).")
    Long reserveMiB;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Server config (YAML): retention policies per WPAR glob, how often prune, gc and verify"
                    + " run, and the share of packs each scheduled verify reads (docs/RETENTION.md). SIGHUP reloads it;"
                    + " an invalid new one is refused and the old kept.")
    Path config;

    @Option(names = "--tls", description = "Require TLS: refuse to start unless 'ckpt server init' made the CA and"
            + " server certificate under DATASTORE/security (TLS is on whenever they exist; docs/SECURITY.md).")
    boolean tls;

    @Option(names = "--insecure-plaintext", description = "Never use TLS, and allow a non-loopback --listen or --http"
            + " without credentials: anyone who reaches the port can then read, overwrite and delete every checkpoint."
            + " Logged as a warning at start. For isolated test networks only.")
    boolean insecurePlaintext;

    @Option(names = "--protocol-max", hidden = true, paramLabel = "N",
            description = "Highest protocol version to speak (tests: a server one version behind its clients).")
    int protocolMax = io.ckpt.protocol.ProtocolVersion.MAX;

    @Option(names = "--tenant", hidden = true, paramLabel = "HOST=TENANT",
            description = "Dedup scope of a host's uploads (tests, until credentials name the tenant); repeatable.")
    java.util.List<String> tenants = new java.util.ArrayList<>();

    @Option(names = "--debug", description = "Print stack traces with errors.")
    boolean debug;

    private ServerConfig.Transport transport() {
        if (tls && insecurePlaintext) {
            throw new IllegalArgumentException("--tls and --insecure-plaintext contradict each other: give one");
        }
        return tls ? ServerConfig.Transport.TLS
                : insecurePlaintext ? ServerConfig.Transport.INSECURE_PLAINTEXT : ServerConfig.Transport.AUTO;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ServerMain()).execute(args));
    }

    @Override
    public Integer call() {
        Logger log = LoggerFactory.getLogger("ckpt.server");
        io.ckpt.retention.RetentionConfig retention = io.ckpt.retention.RetentionConfig.NONE;
        if (config != null) {
            try {
                retention = io.ckpt.retention.RetentionConfig.load(config);
            } catch (io.ckpt.retention.InvalidPolicyException e) {
                System.err.println("ckpt server: " + e.getMessage());
                return 2;
            }
        }
        CkptServer server;
        try {
            server = CkptServer.start(new ServerConfig(datastore, catalog, ServerConfig.parseAddress(listen),
                    idleTimeout, (long) packSizeMiB << 20, maxUploads, reserveMiB == null ? -1 : reserveMiB << 20,
                    retention, ServerConfig.parseHttp(http), transport(), handshakeTimeout, frameTimeout,
                    new ServerConfig.Fair(uploadQueue,
                            java.time.Duration.ofSeconds(uploadWait), ingestShare,
                            io.ckpt.server.net.HostRateLimiter.parse("--host-upload-rate", hostUploadRate),
                            maxConnections),
                    protocolMax, ServerConfig.parseTenants(tenants)));
        } catch (IllegalArgumentException e) {
            System.err.println("ckpt server: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            if (debug) {
                e.printStackTrace();
            }
            String m = e instanceof StoreException || e instanceof io.ckpt.security.UnsafeSetupException ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
            System.err.println("ckpt server: " + m);
            return 1;
        }
        // SIGTERM and SIGINT close the server and let main return 0; a shutdown hook covers other exits.
        Runnable stop = () -> {
            log.info("stopping");
            server.close();
        };
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> new Thread(stop, "shutdown").start());
            } catch (IllegalArgumentException e) {
                log.debug("signal {} cannot be handled here: {}", name, e.getMessage());
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "shutdown-hook"));
        if (config != null) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> new Thread(() -> {
                    try {
                        server.reconfigure(io.ckpt.retention.RetentionConfig.load(config));
                        log.info("config {} reloaded", config);
                    } catch (io.ckpt.retention.InvalidPolicyException e) {
                        log.error("config reload failed, keeping the running config: {}", e.getMessage());
                    }
                }, "reload").start());
            } catch (IllegalArgumentException e) {
                log.warn("SIGHUP cannot be handled here; restart to reload {}", config);
            }
        }
        var a = server.address();
        log.info("listening on {}:{}", a.getAddress().getHostAddress(), a.getPort());
        server.httpAddress().ifPresent(h -> log.info("http listening on {}:{}", h.getAddress().getHostAddress(), h.getPort()));
        server.awaitClose();
        server.close(); // waits for a close already under way on the signal thread
        log.info("stopped"); // here, not on the signal thread: main returning ends the process
        return 0;
    }
}
