package io.ckpt.server.net;

import io.ckpt.catalog.Catalog;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.query.CatalogQueries;
import io.ckpt.restore.Restorer;
import io.ckpt.store.Datastore;
import io.ckpt.store.PackStore;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.concurrent.EventExecutorGroup;

/**
 * What every connection shares: the datastore, its catalog, the worker threads, the open
 * connections ({@code channels}: revoking a credential closes those it authenticated) and how
 * connections are admitted ({@code security}).
 */
public record ServerContext(
        Datastore datastore,
        Catalog catalog,
        PackStore packs,
        ChunkerParams chunker,
        CatalogQueries queries,
        io.ckpt.server.request.MaintenanceRequests maintenance,
        io.ckpt.server.request.OwnershipRequests ownership,
        io.ckpt.control.Hosts hosts,
        io.ckpt.control.ControlRequests control,
        Restorer restorer,
        io.ckpt.restore.ReadersInUse readers,
        EventExecutorGroup ingestWorkers,
        java.util.concurrent.ExecutorService requestWorkers,
        java.util.concurrent.ExecutorService restoreWorkers,
        ChannelGroup channels,
        Fairness fairness,
        int maxUploads,
        int maxFrame,
        int idleTimeoutSeconds,
        io.ckpt.status.ServerMetrics metrics,
        io.ckpt.security.ServerSecurity security,
        io.ckpt.security.CredentialRequests credentialRequests,
        io.ckpt.audit.AuditEvents audit,
        /** HELLO must arrive this long after connect. */
        int handshakeTimeoutSeconds,
        /** A frame must be whole this long after its first byte arrived. */
        int frameTimeoutSeconds,
        int protocolMax,
        /** Dedup scope of unauthenticated hosts (--tenant, tests); a credential's tenant wins. */
        java.util.Map<String, String> tenantByHost,
        /** The uploads in progress by WPAR: moving a WPAR ends its old owner's (FENCED). */
        io.ckpt.ingest.OpenUploads uploads) {}
