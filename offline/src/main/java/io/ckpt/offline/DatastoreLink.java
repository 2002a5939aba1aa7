package io.ckpt.offline;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.net.ClientException;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.offline.OfflineDatastore;
import io.ckpt.agent.restore.RestoreException;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.LabelDao;
import io.ckpt.errors.ErrorCodes;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.PartInfo;
import io.ckpt.query.CatalogQueries;
import io.ckpt.restore.RestoreSink;
import io.ckpt.restore.Restorer;
import io.ckpt.store.Datastore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The server's answers to a restore, read straight from a datastore in this process while the
 * server is down (or hung): {@code select} and {@code show} from the catalog, restores through the
 * server's own {@link Restorer}. Read-only throughout: the datastore is opened without its lock and
 * without recovery ({@link Datastore#openReadOnly}), the catalog in SQLite's read-only mode
 * ({@link Catalog#openReadOnly}), and every request that would change something (mark, claim,
 * confirm, ...) is refused. Failures come back as the {@link ClientException}s the server would
 * have sent, so callers and exit codes do not tell the two apart. The {@code ServerLink}
 * that {@code ckpt restore --datastore} restores through (offline jar only).
 *
 * <p>Chunks are verified by the server's chunk reader as on the server; each part's SHA-256 is
 * checked again by the receiver, as for a restore over the network.
 */
final class DatastoreLink implements OfflineDatastore.Link {
    /** The requests a restore without --start sends; nothing else is answered. */
    private static final Set<String> READ_OPS = Set.of("select", "show");

    private final Path root;
    private final Catalog catalog;
    private final CatalogQueries queries;
    private final Restorer restorer;

    private DatastoreLink(Path root, Catalog catalog, Datastore ds) {
        this.root = root;
        this.catalog = catalog;
        this.queries = new CatalogQueries(catalog, ds.journal());
        this.restorer = new Restorer(catalog, ds);
    }

    /** Opens {@code datastore} read-only, with its catalog at {@code catalogFile} (null: DATASTORE/catalog.db). */
    static DatastoreLink open(Path datastore, Path catalogFile) throws IOException {
        Datastore ds = Datastore.openReadOnly(datastore);
        Path file = catalogFile != null ? catalogFile.toAbsolutePath() : ds.root().resolve("catalog.db");
        return new DatastoreLink(ds.root(), Catalog.openReadOnly(file, ds.id()), ds);
    }

    @Override
    public JsonNode request(JsonNode request) throws IOException {
        String op = request.path("op").asText("");
        if (!READ_OPS.contains(op)) {
            throw new ClientException(ErrorCode.REFUSED, "'" + op + "' needs the server: a restore from the datastore "
                    + root + " only reads it");
        }
        try {
            return CatalogQueries.mapper().readTree(queries.handle(request.toString()));
        } catch (IOException | RuntimeException e) {
            throw asServerWouldSay(e);
        }
    }

    @Override
    public void restore(long id, CkptClient.RestoreReceiver receiver) throws IOException {
        try {
            CheckpointRow cp = restorer.checkpoint(id);
            receiver.header(CatalogQueries.checkpointJson(cp, catalog.read(h -> h.attach(LabelDao.class).of(id))));
            restorer.restore(cp, new ReceiverSink(receiver));
        } catch (ClientException | RestoreException e) {
            throw e; // the receiver's own verdict (a part that arrived damaged, a target it cannot write)
        } catch (IOException | RuntimeException e) {
            throw asServerWouldSay(e);
        }
    }

    /**
     * The error the server would have answered with ({@link ErrorCodes}, the mapping the server's
     * replies use), as the client sees it; a failure the server would call INTERNAL stays as it is,
     * as there is no server log here to point to.
     */
    private static IOException asServerWouldSay(Exception e) {
        ErrorCode code = ErrorCodes.codeOf(e);
        if (code == ErrorCode.INTERNAL) {
            return e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        ClientException c = new ClientException(code, ErrorCodes.messageOf(e));
        c.initCause(e);
        return c;
    }

    @Override
    public void close() {
        catalog.close();
    }

    /** The restorer's output handed to a receiver in this process: what the wire would have carried. */
    private static final class ReceiverSink implements RestoreSink {
        private final CkptClient.RestoreReceiver receiver;

        ReceiverSink(CkptClient.RestoreReceiver receiver) {
            this.receiver = receiver;
        }

        @Override
        public void beginPart(PartInfo part) throws IOException {
            receiver.beginPart(part);
        }

        @Override
        public ByteBuf allocate(int capacity) {
            return Unpooled.buffer(capacity, capacity); // heap: the restorer reads chunks into its array
        }

        @Override
        public void data(ByteBuf bytes) throws IOException {
            try {
                receiver.data(bytes.nioBuffer());
            } finally {
                bytes.release();
            }
        }

        @Override
        public void endPart(long length, byte[] sha256) throws IOException {
            receiver.endPart(length, sha256);
        }
    }
}
