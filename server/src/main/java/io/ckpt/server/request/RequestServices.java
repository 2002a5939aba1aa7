package io.ckpt.server.request;

import io.ckpt.audit.AuditEvents;
import io.ckpt.control.ControlRequests;
import io.ckpt.control.Hosts;
import io.ckpt.query.CatalogQueries;
import io.ckpt.security.Access;
import io.ckpt.security.CredentialRequests;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * What the request handlers of {@link Requests} reach: the access authority, the handlers behind
 * the ops (catalog queries, maintenance, ownership, control, credentials), the audit, the server's load ({@code load}), how to close a revoked credential's
 * connections ({@code disconnect}: how many it closed), and the two worker pools.
 */
public record RequestServices(
        Access access,
        CatalogQueries queries,
        MaintenanceRequests maintenance,
        OwnershipRequests ownership,
        ControlRequests control,
        CredentialRequests credentials,
        Hosts hosts,
        AuditEvents audit,
        Supplier<String> load,
        ToIntFunction<String> disconnect,
        Executor requestWorkers,
        Executor restoreWorkers) {}
