package io.ckpt.agent.upload;

import io.ckpt.agent.net.CkptClient;
import io.ckpt.chunk.ChunkCompression;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.chunk.PredictiveChunker;
import io.ckpt.chunk.PreviousChunks;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.stream.IntStream;

/**
 * Sends parts in delta mode (docs/PROTOCOL.md, "Delta mode"): cuts each part with the server's
 * chunker ({@link ChunkerParams#DEFAULT}, so the chunks and digests are those a stream upload
 * would store), asks the server which chunks it lacks, sends only those (LZ4-compressed when that
 * saves at least 1/16, as the server decides), then the part's ordered chunk list.
 *
 * <p>A part is read in windows of {@link #WINDOW} bytes: every whole chunk in the window is hashed
 * (and the missing ones compressed) on all cores, the digests not already known to be on the server
 * go into one query, and the window's chunk list follows its missing chunks. Memory is the window,
 * its compressed chunks and the set of digests known to be present, which is capped at
 * {@link #MAX_KNOWN} (beyond it, digests are simply asked about again). One sender serves one upload.
 */
public final class DeltaPartSender {
    /** Bytes read and cut at a time. */
    static final int WINDOW = 8 * 1024 * 1024;
    /** Most digests remembered as present: 32 MiB of {@link DigestSet} at most, about 4 GiB of image. */
    static final int MAX_KNOWN = 1 << 19;
    /** Most previous chunks held to predict from: about 44 bytes each (40 MiB), some 10 GiB of image. */
    static final int MAX_PREVIOUS = 1 << 20;
    /** Hashes predicted chunks and a part's whole SHA-256 beside the chunking; daemon threads. */
    private static final ExecutorService POOL = Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
                Thread t = new Thread(r, "ckpt-delta-hash");
                t.setDaemon(true);
                return t;
            });
    private static final ThreadLocal<MessageDigest> SHA = ThreadLocal.withInitial(ChunkDigest::sha256);
    private static final ThreadLocal<ChunkCompression> COMPRESSION = ThreadLocal.withInitial(ChunkCompression::new);

    private final CkptClient client;
    private final ContentDefinedChunker chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);
    /** Digests the server holds in this client's scope, or that this upload sent. */
    private final DigestSet known = new DigestSet(MAX_KNOWN);
    private final byte[] buf = new byte[WINDOW];
    private final int[] off = new int[WINDOW / ChunkerParams.DEFAULT.minSize() + 1];
    private final int[] len = new int[off.length];
    private final byte[] digests = new byte[off.length * 32];

    /** Per chunk of a batch: the previous version had it, so the server holds it (no query). */
    private final boolean[] previouslyHeld = new boolean[off.length];
    /** The previous checkpoint's chunk lists by part name, to predict from ({@link PredictiveChunker}). */
    private final Map<String, PreviousChunks> previous = new HashMap<>();
    private long previousChunks;

    private long chunksSent;
    private long bytesSent;
    private long chunksTotal;
    private long predictedBytes;

    public DeltaPartSender(CkptClient client) {
        this.client = client;
    }

    /** Remembers a digest as present on the server (a first guess from the previous checkpoint). */
    public void knownPresent(byte[] digest) {
        known.add(digest, 0);
    }

    /** Whether no further digest can be remembered (they will be asked about instead). */
    public boolean knownFull() {
        return known.isFull();
    }

    /**
     * The previous checkpoint's chunks of part {@code name}, in order: {@link #sendFile} predicts
     * from them. Returns false (and keeps nothing) once {@link #MAX_PREVIOUS} chunks are held.
     */
    public boolean previousPart(String name, PreviousChunks chunks) {
        if (previousChunks + chunks.size() > MAX_PREVIOUS) {
            return false;
        }
        previousChunks += chunks.size();
        previous.put(name, chunks);
        return true;
    }

    /** Image bytes whose chunks came from the previous version's list without being cut again. */
    public long predictedBytes() {
        return predictedBytes;
    }

    /** Chunks sent so far (the others were found on the server). */
    public long chunksSent() {
        return chunksSent;
    }

    /** Chunk payload bytes sent so far, after compression. */
    public long bytesSent() {
        return bytesSent;
    }

    public long chunksTotal() {
        return chunksTotal;
    }

    /** Sends one part's bytes read from {@code in} until its end, and returns the byte count. */
    public long send(PartInfo part, InputStream in, LongConsumer progress) throws IOException {
        client.beginPart(part);
        MessageDigest partSha = ChunkDigest.sha256();
        long total = 0;
        int have = 0;
        boolean eof = false;
        while (!eof || have > 0) {
            while (!eof && have < buf.length) {
                int r;
                try {
                    r = in.read(buf, have, buf.length - have);
                } catch (IOException e) {
                    throw new IOException("reading " + part.name() + ": " + e.getMessage(), e);
                }
                if (r < 0) {
                    eof = true;
                } else {
                    partSha.update(buf, have, r);
                    have += r;
                    total += r;
                    progress.accept(r);
                }
            }
            int cut = cutWindow(have, eof);
            System.arraycopy(buf, cut, buf, 0, have - cut);
            have -= cut;
        }
        client.endPart(total, partSha.digest());
        return total;
    }

    /**
     * Sends a file part: as {@link #send}, but cut with {@link PredictiveChunker}, which takes the
     * chunks the previous checkpoint's same-named part had without cutting them again and hashes on
     * all cores, while another thread reads the file once more for the part's whole SHA-256 (the
     * file is a spooled checkpoint and does not change while it is sent). Returns the byte count.
     */
    public long sendFile(PartInfo part, Path file, LongConsumer progress) throws IOException {
        client.beginPart(part);
        FileChannel opened;
        try {
            opened = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw PartSource.notOpened(part, file, e);
        }
        try (FileChannel ch = opened) {
            long size = ch.size();
            Future<byte[]> whole = POOL.submit(() -> wholeSha256(part, file, size));
            PredictiveChunker cutter = new PredictiveChunker(ChunkerParams.DEFAULT, POOL,
                    Math.max(1, Runtime.getRuntime().availableProcessors() - 1));
            int[] n = {0};
            int[] used = {0};
            PredictiveChunker.Stats stats;
            try {
                stats = cutter.run(ch, size, previous.getOrDefault(part.name(), PreviousChunks.NONE),
                        (offset, length, digest, digestOff, held, data, dataOff) -> {
                            if (n[0] == Frame.ChunkQuery.MAX_DIGESTS || (!held && used[0] + length > buf.length)) {
                                sendBatch(0, n[0]);
                                chunksTotal += n[0];
                                n[0] = 0;
                                used[0] = 0;
                            }
                            int i = n[0]++;
                            System.arraycopy(digest, digestOff, digests, i * 32, 32);
                            len[i] = length;
                            previouslyHeld[i] = held;
                            if (held) {
                                off[i] = -1;
                            } else {
                                System.arraycopy(data, dataOff, buf, used[0], length);
                                off[i] = used[0];
                                used[0] += length;
                            }
                            progress.accept(length);
                        });
                if (n[0] > 0) {
                    sendBatch(0, n[0]);
                    chunksTotal += n[0];
                }
            } catch (IOException | RuntimeException e) {
                whole.cancel(true);
                throw e;
            }
            predictedBytes += stats.predictedBytes();
            byte[] sha;
            try {
                sha = whole.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while hashing " + file, e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException("reading " + file + ": " + e.getCause(), e.getCause());
            }
            client.endPart(size, sha);
            return size;
        }
    }

    private static byte[] wholeSha256(PartInfo part, Path file, long size) throws IOException {
        MessageDigest md = ChunkDigest.sha256();
        byte[] b = new byte[1 << 20];
        long total = 0;
        InputStream opened;
        try {
            opened = Files.newInputStream(file); // a second open: the file may have gone in between too
        } catch (IOException e) {
            throw PartSource.notOpened(part, file, e);
        }
        try (InputStream in = opened) {
            for (int r; (r = in.read(b)) > 0; ) {
                md.update(b, 0, r);
                total += r;
            }
        }
        if (total != size) {
            throw new IOException(file + " changed while it was sent: " + total + " bytes read, " + size + " expected");
        }
        return md.digest();
    }

    /** Cuts the whole chunks of the window (all of it at the end), sends them, and returns the bytes used. */
    private int cutWindow(int have, boolean eof) throws IOException {
        int n = 0;
        int pos = 0;
        while (have - pos >= chunker.maxSize() || (eof && pos < have)) {
            int c = chunker.nextCut(buf, pos, have - pos);
            off[n] = pos;
            len[n] = c;
            n++;
            pos += c;
        }
        if (n == 0) {
            return 0;
        }
        int count = n;
        IntStream.range(0, count).parallel().forEach(i -> {
            MessageDigest md = SHA.get();
            md.update(buf, off[i], len[i]);
            try {
                md.digest(digests, i * 32, 32);
            } catch (DigestException e) {
                throw new AssertionError(e);
            }
        });
        Arrays.fill(previouslyHeld, 0, count, false);
        for (int from = 0; from < count; from += Frame.ChunkQuery.MAX_DIGESTS) {
            sendBatch(from, Math.min(count, from + Frame.ChunkQuery.MAX_DIGESTS));
        }
        chunksTotal += count;
        return pos;
    }

    /** Queries the unknown digests of chunks [from, to), sends the missing chunks, then the references. */
    private void sendBatch(int from, int to) throws IOException {
        int[] ask = new int[to - from];
        int asked = 0;
        Set<ByteBuffer> inQuery = new HashSet<>();
        for (int i = from; i < to; i++) {
            if (!previouslyHeld[i] && !known.contains(digests, i * 32) && inQuery.add(ByteBuffer.wrap(digests, i * 32, 32))) {
                ask[asked++] = i;
            }
        }
        if (asked > 0) {
            byte[] q = new byte[asked * 32];
            for (int k = 0; k < asked; k++) {
                System.arraycopy(digests, ask[k] * 32, q, k * 32, 32);
            }
            BitSet missing = client.query(q);
            int[] send = missing.stream().map(k -> ask[k]).toArray();
            Frame.ChunkData[] chunks = new Frame.ChunkData[send.length];
            IntStream.range(0, send.length).parallel().forEach(k -> chunks[k] = compress(send[k]));
            for (Frame.ChunkData c : chunks) {
                client.sendChunk(c);
                chunksSent++;
                bytesSent += c.payload().length;
            }
            for (int k = 0; k < asked; k++) {
                known.add(digests, ask[k] * 32); // present now, or sent just above
            }
        }
        byte[] refDigests = Arrays.copyOfRange(digests, from * 32, to * 32);
        client.sendRefs(new Frame.ChunkRefs(refDigests, Arrays.copyOfRange(len, from, to)));
    }

    /** Chunk {@code i} as a CHUNK_DATA frame: LZ4 when {@link ChunkCompression} says so, else raw. */
    private Frame.ChunkData compress(int i) {
        byte[] digest = Arrays.copyOfRange(digests, i * 32, i * 32 + 32);
        ChunkCompression lz4 = COMPRESSION.get();
        byte[] out = new byte[lz4.maxCompressedLength(len[i])];
        int clen = lz4.compress(buf, off[i], len[i], out);
        if (clen >= 0) {
            return new Frame.ChunkData(digest, len[i], Frame.ChunkData.CODEC_LZ4, Arrays.copyOf(out, clen));
        }
        return new Frame.ChunkData(digest, len[i], Frame.ChunkData.CODEC_NONE, Arrays.copyOfRange(buf, off[i], off[i] + len[i]));
    }

}
