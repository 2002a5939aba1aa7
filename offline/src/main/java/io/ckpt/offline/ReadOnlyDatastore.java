package io.ckpt.offline;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.offline.OfflineDatastore;
import io.ckpt.audit.AuditLog;
import io.ckpt.audit.AuditReader;
import io.ckpt.store.Datastore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The offline jar's {@link OfflineDatastore}, registered in
 * META-INF/services/io.ckpt.agent.offline.OfflineDatastore: a restore through {@link DatastoreLink},
 * the audit log through the server's {@link AuditReader}. Neither takes the datastore's lock nor
 * writes anything, so both work beside a running (or hung) server.
 */
public final class ReadOnlyDatastore implements OfflineDatastore {
    @Override
    public Link open(Path datastore, Path catalogFile) throws IOException {
        return DatastoreLink.open(datastore, catalogFile);
    }

    @Override
    public JsonNode audit(Path datastore, JsonNode request) throws IOException {
        if (!Files.exists(datastore.resolve(Datastore.MARKER))) {
            throw new IOException("--datastore " + datastore + " is not a ckpt datastore (no " + Datastore.MARKER
                    + " marker in it)");
        }
        return AuditReader.read(datastore.resolve(AuditLog.DIR), AuditLog.DEFAULT_KEEP, AuditReader.Filter.of(request));
    }
}
