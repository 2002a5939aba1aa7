package io.ckpt.server;

import io.ckpt.audit.Actor;
import io.ckpt.audit.AuditEvents;
import io.ckpt.audit.AuditLog;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CatalogJournal;
import io.ckpt.catalog.WparDao;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.control.ControlRequests;
import io.ckpt.control.Hosts;
import io.ckpt.control.Mover;
import io.ckpt.control.Ownership;
import io.ckpt.jobs.Jobs;
import io.ckpt.protocol.codec.FrameFormat;
import io.ckpt.query.CatalogQueries;
import io.ckpt.restore.Restorer;
import io.ckpt.security.Access;
import io.ckpt.security.CredentialRequests;
import io.ckpt.security.Credentials;
import io.ckpt.security.SecurityDir;
import io.ckpt.security.ServerSecurity;
import io.ckpt.security.UnsafeSetupException;
import io.ckpt.server.http.HttpListener;
import io.ckpt.server.net.ServerContext;
import io.ckpt.server.net.ServerInitializer;
import io.ckpt.server.request.MaintenanceRequests;
import io.ckpt.server.request.OwnershipRequests;
import io.ckpt.server.request.ReadCaller;
import io.ckpt.status.ServerMetrics;
import io.ckpt.status.StatusApi;
import io.ckpt.status.UsageHistory;
import io.ckpt.store.Datastore;
import io.ckpt.store.DatastoreLock;
import io.ckpt.store.PackStore;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running server: datastore locked, catalog open and recovered, listener bound. Usable in a
 * test JVM as well as from {@link ServerMain}.
 */
public final class CkptServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CkptServer.class);

    private final DatastoreLock lock;
    private final Catalog catalog;
    private final PackStore packs;
    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final EventExecutorGroup ingestWorkers;
    private final ExecutorService requestWorkers;
    private final ExecutorService restoreWorkers;
    private final ChannelGroup channels;
    private final Channel listener;
    private final Maintenance maintenance;
    private final Hosts hosts;
    private final Mover mover;
    private final java.util.concurrent.atomic.AtomicReference<io.ckpt.retention.RetentionConfig> config;
    private final HttpListener http; // null: --http off
    private final AuditLog audit;
    private boolean closed;

    private CkptServer(DatastoreLock lock, Catalog catalog, PackStore packs, EventLoopGroup boss, EventLoopGroup io,
            EventExecutorGroup ingestWorkers, ExecutorService requestWorkers, ExecutorService restoreWorkers,
            ChannelGroup channels, Channel listener, Maintenance maintenance, Hosts hosts,
            Mover mover, java.util.concurrent.atomic.AtomicReference<io.ckpt.retention.RetentionConfig> config,
            HttpListener http, AuditLog audit) {
        this.audit = audit;
        this.http = http;
        this.hosts = hosts;
        this.mover = mover;
        this.config = config;
        this.lock = lock;
        this.catalog = catalog;
        this.packs = packs;
        this.boss = boss;
        this.io = io;
        this.ingestWorkers = ingestWorkers;
        this.requestWorkers = requestWorkers;
        this.restoreWorkers = restoreWorkers;
        this.channels = channels;
        this.listener = listener;
        this.maintenance = maintenance;
    }

    /** A journal larger than this is rewritten as a snapshot of the catalog at start. */
    static final long JOURNAL_COMPACT_BYTES = 16L << 20;

    public static CkptServer start(ServerConfig cfg) throws IOException {
        Datastore ds = Datastore.openOrCreate(cfg.datastore());
        DatastoreLock lock = ds.lock();
        Catalog catalog = null;
        try {
            Path catalogFile = cfg.catalog() != null ? cfg.catalog() : ds.root().resolve("catalog.db");
            catalog = Catalog.open(catalogFile, ds.id());
            if (catalog.isFresh() && ds.hasPacks()) {
                throw new io.ckpt.store.StoreException.Incompatible("catalog " + catalogFile
                        + " is new, but datastore " + ds.root() + " holds packs: this is not the datastore's"
                        + " catalog; give the right --catalog, or recreate a lost one with 'ckpt server rebuild-catalog"
                        + " --datastore " + ds.root() + "' (refusing to start, so nothing is overwritten)");
            }
            Recovery.run(ds, catalog);
            if (ds.journal().size() > JOURNAL_COMPACT_BYTES) {
                long before = ds.journal().size();
                ds.journal().rewrite(CatalogJournal.journalSnapshot(catalog, ds));
                log.info("journal compacted from {} to {} bytes", before, ds.journal().size());
            }
            // From here on every commit is journaled; rebuild-catalog needs that to tell a committed checkpoint's
            // manifest from one an upload cut off before its commit transaction left behind (CatalogRebuilder).
            CatalogJournal.markCommitsJournaled(ds, catalog);
            // Before any thread starts: a server that may not start (an open non-loopback address) stops here.
            var config = new java.util.concurrent.atomic.AtomicReference<>(cfg.retention());
            SecurityDir securityDir = SecurityDir.of(ds.root());
            Credentials credentials = new Credentials(catalog);
            ServerSecurity security = security(cfg, securityDir, credentials,
                    new Access(catalog, () -> config.get().placement()));
            PackStore packs = new PackStore(ds, catalog, cfg.packTargetSize());
            io.ckpt.alert.Alerts alerts = new io.ckpt.alert.Alerts();
            io.ckpt.store.FreeSpaceReserve reserve = new io.ckpt.store.FreeSpaceReserve(ds.root(), cfg.reserveBytes(), alerts);
            alerts.addCheck(reserve::refresh); // free space comes back (or goes) without an upload noticing
            packs.reserve(reserve);
            int cores = Runtime.getRuntime().availableProcessors();
            EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            EventLoopGroup io = new MultiThreadIoEventLoopGroup(Math.max(2, cores), NioIoHandler.newFactory());
            EventExecutorGroup ingest = new DefaultEventExecutorGroup(Math.max(2, cores));
            // Plain pools with one queue each: a request never waits behind a long restore on a busy thread.
            ExecutorService requests = Executors.newFixedThreadPool(2, named("request"));
            ExecutorService restore = Executors.newFixedThreadPool(Math.max(4, cores * 2), named("restore"));
            // One reader per running restore, a few frames ahead of its sender (Restorer).
            ExecutorService restoreReadAhead = Executors.newCachedThreadPool(named("restore-read"));
            ChannelGroup channels = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
            io.ckpt.restore.ReadersInUse readers = new io.ckpt.restore.ReadersInUse();
            io.ckpt.retention.Pruner pruner = new io.ckpt.retention.Pruner(catalog, ds, readers, cfg.retention());
            io.ckpt.verify.Verifier verifier = new io.ckpt.verify.Verifier(catalog, ds, readers);
            io.ckpt.gc.GarbageCollector gc = new io.ckpt.gc.GarbageCollector(catalog, ds, packs, readers);
            Hosts hosts = new Hosts(cfg.retention().placement().lease());
            // A move of a WPAR ends its old owner's uploads at once; their commits are fenced regardless (Ownership).
            io.ckpt.ingest.OpenUploads uploads = new io.ckpt.ingest.OpenUploads();
            Ownership ownership = new Ownership(catalog, ds.journal(), uploads);
            hosts.ownersFrom(w -> {
                try {
                    return ownership.owner(w).map(WparDao.Owner::ownerHost).orElse(null);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            // Who did what (docs/OPERATIONS.md, "Audit log"): requests and uploads by their connection, jobs here.
            AuditLog auditLog = AuditLog.open(ds.root());
            AuditEvents audit = new AuditEvents(auditLog);
            Mover mover = new Mover(catalog, ownership, hosts,
                    () -> config.get().placement(), audit);
            // The operator's view (io.ckpt.status): metrics fed by the hooks below, the job ring, the HTTP API.
            ServerMetrics metrics = new ServerMetrics(catalog, hosts, reserve, alerts, Clock.systemUTC());
            io.ckpt.server.net.Fairness fairness = new io.ckpt.server.net.Fairness(
                    new io.ckpt.server.net.UploadSlots(cfg.maxUploads(), cfg.fair().uploadQueue()), cfg.fair().uploadWait(),
                    new io.ckpt.server.net.RestorePriority(cfg.fair().ingestShare()),
                    new io.ckpt.server.net.HostRateLimiter(cfg.fair().hostUploadRate()));
            fairness.bindTo(metrics.registry());
            metrics.loadFrom(fairness::json);
            Jobs jobs = new Jobs(Clock.systemUTC(), job -> {
                metrics.jobEnded(job);
                audit.job(job);
            });
            CatalogQueries queries = new CatalogQueries(catalog, ds.journal(), alerts);
            ControlRequests control = new ControlRequests(catalog, hosts, mover);
            metrics.watchConnections(readers);
            ServerContext ctx = new ServerContext(ds, catalog, packs, ChunkerParams.DEFAULT, queries,
                    new MaintenanceRequests(pruner, verifier, gc, jobs), new OwnershipRequests(ownership), hosts, control,
                    new Restorer(catalog, ds, restoreReadAhead), readers, ingest, requests, restore, channels, fairness,
                    cfg.maxUploads(), FrameFormat.DEFAULT_MAX_FRAME,
                    cfg.idleTimeoutSeconds(), metrics, security,
                    new CredentialRequests(credentials, securityDir), audit, cfg.handshakeTimeoutSeconds(),
                    cfg.frameTimeoutSeconds(), cfg.protocolMax(), cfg.tenantByHost(), uploads);
            ServerInitializer initializer = new ServerInitializer(ctx, cfg.fair().maxConnections());
            Channel listener = null;
            HttpListener http = null;
            try {
                listener = new ServerBootstrap()
                        .group(boss, io)
                        .channel(NioServerSocketChannel.class)
                        .childHandler(initializer)
                        .bind(cfg.listen())
                        .syncUninterruptibly()
                        .channel();
                if (cfg.http() != null) {
                    UsageHistory usage = new UsageHistory(reserve, Clock.systemUTC());
                    // Off loopback, /metrics and /api/ need a bearer token of any role (docs/SECURITY.md).
                    java.util.function.Predicate<String> bearer = cfg.http().getAddress().isLoopbackAddress()
                            || !security.required() ? null : t -> credentials.byToken(t).isPresent();
                    http = HttpListener.bind(boss, io, cfg.http(), metrics, new StatusApi(catalog,
                            (viewer, req) -> initializer.dispatcher().read(new ReadCaller(viewer, "http"), req), pruner,
                            config::get, jobs, usage, metrics, Clock.systemUTC(), credentials::byToken, security.access()), usage,
                            security.tls().orElse(null), bearer);
                }
            } catch (Exception e) {
                if (listener != null) {
                    listener.close();
                }
                boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                ingest.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                mover.close();
                hosts.close();
                requests.shutdownNow();
                restore.shutdownNow();
                packs.close();
                auditLog.close();
                throw e instanceof IOException io2 ? io2
                        : new IOException("cannot listen on " + cfg.listen() + ": " + e.getMessage(), e);
            }
            CkptServer server = new CkptServer(lock, catalog, packs, boss, io, ingest, requests, restore, channels, listener,
                    new Maintenance(pruner, gc, verifier, alerts, jobs), hosts, mover, config, http, auditLog);
            auditLog.ok(Actor.SERVER, "server.start", null, null, AuditLog.details()
                    .put("listen", String.valueOf(listener.localAddress())).put("datastore", ds.root().toString())
                    .put("max_uploads", cfg.maxUploads()));
            server.maintenance.schedule(cfg.retention());
            log.info("datastore {} (catalog {}), {} MiB kept free for restore and gc", ds.root(), catalogFile,
                    reserve.bytes() >> 20);
            return server;
        } catch (IOException | RuntimeException e) {
            if (catalog != null) {
                catalog.close();
            }
            lock.close();
            throw e;
        }
    }

    /**
     * Decides TLS and authentication (docs/SECURITY.md): TLS and credentials when the datastore has
     * a security directory; without one, only a loopback listener (or an explicit
     * --insecure-plaintext) may start, open to every local client.
     */
    private static ServerSecurity security(ServerConfig cfg, SecurityDir dir,
            Credentials credentials, Access access) throws IOException {
        boolean hasDir = dir.exists();
        boolean insecure = cfg.transport() == ServerConfig.Transport.INSECURE_PLAINTEXT;
        if (cfg.transport() == ServerConfig.Transport.TLS && !hasDir) {
            throw new UnsafeSetupException("--tls needs the CA and the server certificate in " + dir.path()
                    + ": run 'ckpt server init --datastore " + cfg.datastore() + "' first");
        }
        boolean required = hasDir || credentials.any();
        if (!required && !insecure) {
            for (InetSocketAddress a : new InetSocketAddress[] {cfg.listen(), cfg.http()}) {
                if (a != null && !a.getAddress().isLoopbackAddress()) {
                    throw new UnsafeSetupException("refusing to listen on "
                            + a.getAddress().getHostAddress() + ":" + a.getPort() + " without TLS and credentials: run"
                            + " 'ckpt server init --datastore " + cfg.datastore() + "', then start again (or listen on"
                            + " 127.0.0.1, or give --insecure-plaintext to let anyone who reaches the port do anything)");
                }
            }
        }
        io.netty.handler.ssl.SslContext tls = hasDir && !insecure ? dir.serverContext() : null;
        if (insecure) {
            log.warn("--insecure-plaintext: connections are not encrypted{}", required
                    ? "; tokens and checkpoint data cross the network in clear" : " and not authenticated: anyone who"
                    + " reaches the port may read, overwrite and delete every checkpoint");
        }
        log.info("transport: {}, {}", tls != null ? "TLS (CA " + dir.caCertificateFile() + ")" : "plaintext",
                required ? "clients must authenticate" : "local clients need no credentials (loopback only)");
        return new ServerSecurity(tls, credentials, access, required);
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A reloaded config: new policies and maintenance intervals (the caller validated it). */
    public void reconfigure(io.ckpt.retention.RetentionConfig retention) {
        config.set(retention);
        maintenance.schedule(retention);
        if (!retention.placement().lease().equals(hosts.lease())) {
            log.warn("failover.lease changes take effect at the next start");
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** The HTTP listener's address, unless it is off. */
    public java.util.Optional<InetSocketAddress> httpAddress() {
        return java.util.Optional.ofNullable(http).map(HttpListener::address);
    }

    public void awaitClose() {
        listener.closeFuture().syncUninterruptibly();
    }

    /** Stops listening, drops connections (their uploads are discarded), seals the open pack. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (http != null) {
            http.close();
        }
        maintenance.close();
        mover.close();
        hosts.close();
        listener.close().syncUninterruptibly();
        channels.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        ingestWorkers.shutdownGracefully(0, 10, TimeUnit.SECONDS).syncUninterruptibly();
        for (ExecutorService pool : new ExecutorService[] {requestWorkers, restoreWorkers}) {
            pool.shutdown();
            try {
                if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                    pool.shutdownNow();
                }
            } catch (InterruptedException e) {
                pool.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        try {
            packs.close();
        } catch (IOException e) {
            log.warn("sealing the open pack failed; it is checked at the next start: {}", e.getMessage());
        }
        catalog.close();
        audit.ok(Actor.SERVER, "server.stop", null, null, null); // last: after the uploads the stop discarded
        audit.close();
        try {
            lock.close();
        } catch (IOException e) {
            log.warn("releasing the datastore lock: {}", e.getMessage());
        }
    }
}
