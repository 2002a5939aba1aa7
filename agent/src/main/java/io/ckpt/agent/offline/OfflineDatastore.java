package io.ckpt.agent.offline;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.restore.ServerLink;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A datastore read in this process, without a server, while the server is down or hung. Read-only
 * throughout. Implemented by the offline module (offline/target/ckpt-offline.jar, which bin/ckpt
 * runs for {@code --datastore}) and found with {@link ServiceLoader}: the client jar has no
 * implementation, as reading a datastore takes the server's catalog, SQLite and restorer.
 */
public interface OfflineDatastore {
    /** Where the build puts the jar that implements this, relative to the source tree (bin/ckpt runs it). */
    String JAR = "offline/target/ckpt-offline.jar";

    /**
     * Opens {@code datastore} read-only, with its catalog at {@code catalogFile} (null:
     * DATASTORE/catalog.db), as a link that answers a restore as the server would ({@code select},
     * {@code show}, the restore stream) and refuses everything else.
     */
    Link open(Path datastore, Path catalogFile) throws IOException;

    /**
     * The audit events under DATASTORE/audit that match {@code request} (an {@code audit} request:
     * since, until, wpar, actor, action, limit), as the server's {@code audit} answer.
     */
    JsonNode audit(Path datastore, JsonNode request) throws IOException;

    /** A {@link ServerLink} over a datastore opened in this process; closing it closes the catalog. */
    interface Link extends ServerLink, AutoCloseable {
        @Override
        void close();
    }

    /** The implementation on the class path, if any (none in the client jar). */
    static Optional<OfflineDatastore> find() {
        return ServiceLoader.load(OfflineDatastore.class).findFirst();
    }
}
