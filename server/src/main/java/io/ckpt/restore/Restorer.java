package io.ckpt.restore;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.ChunkRef;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.catalog.PartChunkDao;
import io.ckpt.catalog.PartDao;
import io.ckpt.catalog.PartRow;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.store.ChunkReader;
import io.ckpt.store.Datastore;
import io.ckpt.store.StoreException;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a complete checkpoint out of the datastore into a {@link RestoreSink}. Chunk locations
 * come from the catalog a page at a time; each chunk is verified by {@link ChunkReader}; each
 * part's SHA-256 is checked at its end. Any mismatch fails the restore with the checkpoint, part
 * and byte offset in the message: a restore never passes on wrong bytes silently.
 */
public final class Restorer {
    private static final int PAGE = 2048;
    private static final int FRAME_BYTES = 1024 * 1024;

    private final Catalog catalog;
    private final Datastore ds;

    public Restorer(Catalog catalog, Datastore ds) {
        this.catalog = catalog;
        this.ds = ds;
    }

    /** The complete checkpoint {@code id}, or {@link NotFoundException}. */
    public CheckpointRow checkpoint(long id) throws IOException {
        CheckpointRow cp = catalog.read(h -> h.attach(CheckpointDao.class).find(id)).orElse(null);
        if (cp == null || !cp.isComplete()) {
            throw new NotFoundException("no complete checkpoint with id " + id + (cp == null ? "" : " (it is " + cp.state() + ")"));
        }
        return cp;
    }

    public void restore(CheckpointRow cp, RestoreSink sink) throws IOException {
        List<PartRow> parts = catalog.read(h -> h.attach(PartDao.class).of(cp.id()));
        MessageDigest partSha = ChunkDigest.sha256();
        try (ChunkReader reader = new ChunkReader(ds)) {
            for (PartRow part : parts) {
                sink.beginPart(part.info());
                partSha.reset();
                long offset = 0;
                int next = 0;
                ByteBuf out = null;
                try {
                    while (next < part.chunkCount()) {
                        int from = next;
                        List<ChunkRef> page = catalog.read(h -> h.attach(PartChunkDao.class).page(part.id(), from, PAGE));
                        if (page.isEmpty()) {
                            throw damaged(cp, part, offset, "chunk list ends at chunk " + from + " of " + part.chunkCount());
                        }
                        for (ChunkRef c : page) {
                            if (c.seq() != next) {
                                throw damaged(cp, part, offset, "chunk " + next + " missing from the chunk list");
                            }
                            if (c.packId() == 0) {
                                throw damaged(cp, part, offset, "chunk " + ChunkDigest.of(c.digest()) + " has no location");
                            }
                            if (out != null && out.writableBytes() < c.rawLength()) {
                                ByteBuf full = out;
                                out = null;
                                sink.data(full);
                            }
                            if (out == null) {
                                out = sink.allocate(Math.max(FRAME_BYTES, c.rawLength()));
                            }
                            int at = out.arrayOffset() + out.writerIndex();
                            try {
                                reader.read(c.digest(), 0, c.packId(), c.offset(), c.storedLength(), c.rawLength(), out.array(), at);
                            } catch (StoreException.Corrupt e) {
                                throw damaged(cp, part, offset, e.getMessage());
                            }
                            partSha.update(out.array(), at, c.rawLength());
                            out.writerIndex(out.writerIndex() + c.rawLength());
                            offset += c.rawLength();
                            next++;
                        }
                    }
                    if (out != null) {
                        ByteBuf last = out;
                        out = null;
                        sink.data(last);
                    }
                } finally {
                    if (out != null) {
                        out.release();
                    }
                }
                byte[] sha = partSha.digest();
                if (offset != part.size() || (part.sha256() != null && !Arrays.equals(sha, part.sha256()))) {
                    throw damaged(cp, part, offset, "part bytes do not add up to what was uploaded (size "
                            + offset + " vs " + part.size() + ")");
                }
                sink.endPart(offset, sha);
            }
        }
    }

    private static StoreException.Corrupt damaged(CheckpointRow cp, PartRow part, long offset, String what) {
        return new StoreException.Corrupt("checkpoint " + cp.id() + " (WPAR " + cp.wpar() + ") part '"
                + part.info().name() + "' at byte offset " + offset + ": " + what
                + "; the stored data is damaged, restore another checkpoint");
    }
}
