package io.ckpt.ingest;

import io.ckpt.catalog.Catalog;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.restore.MemorySink;
import io.ckpt.restore.Restorer;
import io.ckpt.store.Datastore;
import io.ckpt.store.PackStore;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a server holds open, without the network: a datastore in a test's directory, its catalog
 * and its pack store, with uploads through {@link IngestSession} and restores through
 * {@link Restorer}. Packs rotate at {@link #PACK_TARGET} so that a few MiB span several.
 */
public final class ScratchDatastore implements AutoCloseable {
    public static final long PACK_TARGET = 4L << 20;
    /** The size of the slices {@link #send} feeds a session, like DATA frames. */
    static final int SLICE = 1 << 20;

    private final Datastore ds;
    private final Catalog catalog;
    private final PackStore packs;
    private boolean crashed;

    private ScratchDatastore(Datastore ds, Catalog catalog, PackStore packs) {
        this.ds = ds;
        this.catalog = catalog;
        this.packs = packs;
    }

    /** Opens (creating when new) the datastore at {@code root}, with its catalog at root/catalog.db. */
    public static ScratchDatastore open(Path root) throws IOException {
        Datastore ds = Datastore.openOrCreate(root);
        Catalog catalog = Catalog.open(ds.root().resolve("catalog.db"), ds.id());
        return new ScratchDatastore(ds, catalog, new PackStore(ds, catalog, PACK_TARGET));
    }

    public Datastore ds() {
        return ds;
    }

    public Catalog catalog() {
        return catalog;
    }

    public PackStore packs() {
        return packs;
    }

    public IngestSession begin(String wpar, long takenAt) throws IOException {
        return IngestSession.begin(ds, catalog, packs, ChunkerParams.DEFAULT, UploadRequest.of(wpar, takenAt, "scheduled", List.of(), "test-host"));
    }

    /** Sends one part whole: begin, its bytes in {@link #SLICE}-sized slices, end with its true length and SHA-256. */
    public static void send(IngestSession s, PartInfo info, byte[] bytes) throws IOException {
        s.beginPart(info);
        feed(s, bytes);
        s.endPart(bytes.length, ChunkDigest.compute(bytes, 0, bytes.length).toBytes());
    }

    /** Feeds {@code bytes} to the open part in slices. */
    public static void feed(IngestSession s, byte[] bytes) throws IOException {
        for (int off = 0; off < bytes.length; off += SLICE) {
            s.data(Unpooled.wrappedBuffer(bytes, off, Math.min(SLICE, bytes.length - off)));
        }
    }

    public static PartInfo stream(String name) {
        return new PartInfo(name, PartType.STREAM, 0, 0, "");
    }

    /** Uploads {@code bytes} as a one-part stream checkpoint named "stream" and commits it. */
    public IngestSession.Committed upload(String wpar, long takenAt, byte[] bytes) throws IOException {
        IngestSession s = begin(wpar, takenAt);
        send(s, stream("stream"), bytes);
        return s.commit();
    }

    /** Restores the complete checkpoint {@code id} into memory. */
    public List<MemorySink.Part> restore(long id) throws IOException {
        Restorer restorer = new Restorer(catalog, ds);
        MemorySink sink = new MemorySink();
        restorer.restore(restorer.checkpoint(id), sink);
        return sink.parts();
    }

    /**
     * Stops the way kill -9 does, as far as the datastore can tell: the catalog's connections
     * close, the open pack is neither sealed nor recorded as sealed.
     */
    public void crash() {
        crashed = true;
        catalog.close();
    }

    @Override
    public void close() throws IOException {
        if (crashed) {
            return;
        }
        try {
            packs.close();
        } finally {
            catalog.close();
        }
    }
}
