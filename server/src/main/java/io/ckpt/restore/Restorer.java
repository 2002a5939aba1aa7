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

    /** Frames (1 MiB each) the reading thread may run ahead of the sending one. */
    static final int READ_AHEAD_FRAMES = 4;

    private final Catalog catalog;
    private final Datastore ds;
    private final java.util.concurrent.ExecutorService readAhead;

    /** A restorer that reads on the calling thread. */
    public Restorer(Catalog catalog, Datastore ds) {
        this(catalog, ds, null);
    }

    /**
     * A restorer that reads, decompresses and verifies chunks on a thread of {@code readAhead}
     * while the calling thread sends what is ready, up to {@link #READ_AHEAD_FRAMES} frames
     * ahead: reading the next chunks (across packs) overlaps with a slow receiver.
     */
    public Restorer(Catalog catalog, Datastore ds, java.util.concurrent.ExecutorService readAhead) {
        this.catalog = catalog;
        this.ds = ds;
        this.readAhead = readAhead;
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
        if (readAhead == null) {
            read(cp, sink);
            return;
        }
        ReadAhead ahead = new ReadAhead(sink);
        java.util.concurrent.Future<?> producer = readAhead.submit(() -> {
            try {
                read(cp, ahead);
                ahead.put(ReadAhead.DONE);
            } catch (Throwable t) {
                ahead.failed(t);
            }
        });
        try {
            ahead.drainInto(sink);
        } finally {
            ahead.cancel();
            try {
                producer.get(); // the reader is closed before the restore counts as ended
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
                // its failure was handed over through the queue
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ahead.releaseQueued();
        }
    }

    /** Fills 1 MiB frames with verified chunks and hands each full one to the sink. */
    private static final class Frames implements AutoCloseable {
        private final RestoreSink sink;
        private ByteBuf out;

        Frames(RestoreSink sink) {
            this.sink = sink;
        }

        /**
         * Reads and verifies chunk {@code c} into the current frame, sending the frame first when
         * the chunk does not fit; returns where in {@link #array()} its bytes start.
         */
        int add(ChunkReader reader, ChunkRef c) throws IOException {
            if (out != null && out.writableBytes() < c.rawLength()) {
                flush();
            }
            if (out == null) {
                out = sink.allocate(Math.max(FRAME_BYTES, c.rawLength()));
            }
            int at = out.arrayOffset() + out.writerIndex();
            reader.read(c.digest(), 0, c.packId(), c.offset(), c.storedLength(), c.rawLength(), out.array(), at);
            out.writerIndex(out.writerIndex() + c.rawLength());
            return at;
        }

        byte[] array() {
            return out.array();
        }

        /** Sends the frame being filled, if any. */
        void flush() throws IOException {
            if (out != null) {
                ByteBuf full = out;
                out = null;
                sink.data(full);
            }
        }

        /** Releases a frame that was never sent (the restore failed). */
        @Override
        public void close() {
            if (out != null) {
                out.release();
                out = null;
            }
        }
    }

    /** The queue between the reading thread and the sending one: begin, data, end, done or failure. */
    private static final class ReadAhead implements RestoreSink {
        static final Object DONE = new Object();

        private record Begin(io.ckpt.protocol.PartInfo part) {}

        private record End(long length, byte[] sha256) {}

        private record Failure(Throwable cause) {}

        private final RestoreSink target;
        private final java.util.concurrent.BlockingQueue<Object> queue =
                new java.util.concurrent.ArrayBlockingQueue<>(READ_AHEAD_FRAMES + 2);
        private volatile boolean cancelled;

        ReadAhead(RestoreSink target) {
            this.target = target;
        }

        void put(Object event) throws IOException {
            try {
                while (!queue.offer(event, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    if (cancelled) {
                        if (event instanceof ByteBuf b) {
                            b.release();
                        }
                        throw new IOException("restore ended by the sender");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        void failed(Throwable t) {
            try {
                put(new Failure(t));
            } catch (IOException e) {
                // the sender is gone and does not need the failure
            }
        }

        @Override
        public void beginPart(io.ckpt.protocol.PartInfo part) throws IOException {
            put(new Begin(part));
        }

        @Override
        public ByteBuf allocate(int capacity) {
            return target.allocate(capacity);
        }

        @Override
        public void data(ByteBuf bytes) throws IOException {
            put(bytes);
        }

        @Override
        public void endPart(long length, byte[] sha256) throws IOException {
            put(new End(length, sha256));
        }

        /** Sends every event to {@code sink} in order until done; rethrows the reader's failure. */
        void drainInto(RestoreSink sink) throws IOException {
            while (true) {
                Object e;
                try {
                    e = queue.take();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", ex);
                }
                if (e == DONE) {
                    return;
                } else if (e instanceof ByteBuf b) {
                    sink.data(b);
                } else if (e instanceof Begin b) {
                    sink.beginPart(b.part());
                } else if (e instanceof End end) {
                    sink.endPart(end.length(), end.sha256());
                } else if (e instanceof Failure f) {
                    if (f.cause() instanceof IOException io) {
                        throw io;
                    }
                    if (f.cause() instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new IOException(f.cause());
                }
            }
        }

        void cancel() {
            cancelled = true;
        }

        void releaseQueued() {
            for (Object e; (e = queue.poll()) != null; ) {
                if (e instanceof ByteBuf b) {
                    b.release();
                }
            }
        }
    }

    /** Reads every part of {@code cp}, verified, into {@code sink} on this thread. */
    private void read(CheckpointRow cp, RestoreSink sink) throws IOException {
        List<PartRow> parts = catalog.read(h -> h.attach(PartDao.class).of(cp.id()));
        MessageDigest partSha = ChunkDigest.sha256();
        try (ChunkReader reader = new ChunkReader(ds)) {
            for (PartRow part : parts) {
                sink.beginPart(part.info());
                partSha.reset();
                long offset = 0;
                int next = 0;
                try (Frames frames = new Frames(sink)) {
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
                            int at;
                            try {
                                at = frames.add(reader, c);
                            } catch (StoreException.Corrupt e) {
                                throw damaged(cp, part, offset, e.getMessage());
                            }
                            partSha.update(frames.array(), at, c.rawLength());
                            offset += c.rawLength();
                            next++;
                        }
                    }
                    frames.flush();
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

    /**
     * Sends the chunks of part {@code partSeq} of {@code cp} whose sequence numbers lie in
     * {@code ranges} (each {@code [from, to)}, ascending, not overlapping), in order, as plain
     * data: what a client restoring with chunks it holds locally lacks. Each chunk is verified as
     * in a restore; the client checks the whole part's SHA-256 once it has put it together.
     * Returns the bytes sent.
     */
    public long fetch(CheckpointRow cp, int partSeq, List<long[]> ranges, RestoreSink sink) throws IOException {
        PartRow part = catalog.read(h -> h.attach(PartDao.class).of(cp.id())).stream()
                .filter(p -> p.seq() == partSeq).findFirst()
                .orElseThrow(() -> new NotFoundException("checkpoint " + cp.id() + " has no part " + partSeq));
        long sent = 0;
        long last = -1;
        try (ChunkReader reader = new ChunkReader(ds); Frames frames = new Frames(sink)) {
            for (long[] r : ranges) {
                if (r.length != 2 || r[0] < 0 || r[1] <= r[0] || r[1] > part.chunkCount() || r[0] < last) {
                    throw new io.ckpt.protocol.RequestRefusedException(io.ckpt.protocol.ErrorCode.BAD_REQUEST, "fetch: range "
                            + java.util.Arrays.toString(r) + " is not ascending within the part's " + part.chunkCount() + " chunks");
                }
                last = r[1];
                int next = (int) r[0];
                while (next < r[1]) {
                    int from = next;
                    int limit = (int) Math.min(PAGE, r[1] - next);
                    List<ChunkRef> page = catalog.read(h -> h.attach(PartChunkDao.class).page(part.id(), from, limit));
                    if (page.isEmpty()) {
                        throw damaged(cp, part, 0, "chunk list ends at chunk " + from + " of " + part.chunkCount());
                    }
                    for (ChunkRef c : page) {
                        if (c.seq() != next || c.packId() == 0) {
                            throw damaged(cp, part, 0, "chunk " + next + " missing from the chunk list or without a location");
                        }
                        try {
                            frames.add(reader, c);
                        } catch (StoreException.Corrupt e) {
                            throw damaged(cp, part, 0, "chunk " + next + ": " + e.getMessage());
                        }
                        sent += c.rawLength();
                        next++;
                    }
                }
            }
            frames.flush();
        }
        return sent;
    }

    private static StoreException.Corrupt damaged(CheckpointRow cp, PartRow part, long offset, String what) {
        return new StoreException.Corrupt("checkpoint " + cp.id() + " (WPAR " + cp.wpar() + ") part '"
                + part.info().name() + "' at byte offset " + offset + ": " + what
                + "; the stored data is damaged, restore another checkpoint");
    }
}
