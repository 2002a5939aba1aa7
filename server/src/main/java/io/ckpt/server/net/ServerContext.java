package io.ckpt.server.net;

import io.ckpt.catalog.Catalog;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.query.CatalogQueries;
import io.ckpt.restore.Restorer;
import io.ckpt.store.Datastore;
import io.ckpt.store.PackStore;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.concurrent.EventExecutorGroup;

/** What every connection shares: the datastore, its catalog and the worker threads. */
public record ServerContext(
        Datastore datastore,
        Catalog catalog,
        PackStore packs,
        ChunkerParams chunker,
        CatalogQueries queries,
        io.ckpt.control.Hosts hosts,
        io.ckpt.control.ControlRequests control,
        Restorer restorer,
        io.ckpt.restore.ReadersInUse readers,
        EventExecutorGroup ingestWorkers,
        java.util.concurrent.ExecutorService requestWorkers,
        java.util.concurrent.ExecutorService restoreWorkers,
        ChannelGroup channels,
        java.util.concurrent.Semaphore uploadPermits,
        int maxUploads,
        int maxFrame,
        int idleTimeoutSeconds,
        io.ckpt.status.ServerMetrics metrics,
        int protocolMax,
        java.util.Map<String, String> tenantByHost) {}
