package io.ckpt.chunk;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Cuts and hashes a file exactly as {@link ContentDefinedChunker} plus SHA-256 would, but skips
 * the cutting wherever the file still holds the chunks of its previous version, and hashes on
 * several threads.
 *
 * <p>Most of an hourly memory image is what the previous checkpoint held. Given that version's
 * chunk list (lengths and SHA-256 digests, in order), the next chunk is predicted to be the next
 * one in the list: its bytes are hashed at the predicted length and, if the digest matches, the
 * chunk is taken without running the gear hash over it. A match is not a guess: the chunker is
 * stateless from a chunk's first byte, so the same bytes from a true boundary cut at the same
 * place, and SHA-256 is still what names the chunk (no weaker hash stands in for it). Where the
 * prediction fails the chunker cuts as usual until a cut lands on a predicted boundary again (a
 * page changed in place) or cuts a chunk that the previous version had (a region that shifted);
 * the prediction then resumes from there. The result is the same list of chunks, byte for byte,
 * that cutting the whole file gives: {@code PredictiveChunkerTest} checks that on random edits.
 *
 * <p>Work goes in windows: up to {@link #PREDICTED_WINDOW} bytes of predicted chunks, hashed in
 * parallel before they are checked in order, or {@link #CUT_WINDOW} bytes cut from scratch and
 * then hashed in parallel. Memory is one window buffer and one digest per chunk of a window,
 * whatever the file's size; nothing is allocated per chunk.
 *
 * <p>Not thread-safe: one file at a time. The executor is the caller's and is not shut down.
 */
public final class PredictiveChunker {
    static final int PREDICTED_WINDOW = 8 << 20;
    static final int CUT_WINDOW = 1 << 20;
    private static final int DIGEST = 32;

    /** Receives the chunks in file order. The arrays are only valid during the call. */
    public interface Sink {
        /**
         * @param digest the chunk's SHA-256 at {@code digest[digestOff .. digestOff + 32)}
         * @param known true when the previous version had this chunk (so it is stored wherever
         *     that version is), whether it was predicted or cut
         * @param data the chunk's bytes at {@code data[dataOff .. dataOff + length)}
         */
        void chunk(long offset, int length, byte[] digest, int digestOff, boolean known, byte[] data, int dataOff)
                throws IOException;
    }

    /** What a run did: all chunks, and how many of them (and bytes) came from the prediction. */
    public record Stats(long bytes, long chunks, long predictedBytes, long predictedChunks) {}

    private final ContentDefinedChunker chunker;
    private final ExecutorService pool;
    private final int threads;
    private final int predictedWindow;
    private final int cutWindow;
    private final byte[] buf;
    private byte[] digests = new byte[DIGEST * 1024];
    private int[] starts = new int[1024];
    private int[] lengths = new int[1024];
    private final ThreadLocal<MessageDigest> sha = ThreadLocal.withInitial(PredictiveChunker::newSha256);
    /** The digest of a chunk cut in a predicted window, handed to the sink. */
    private final byte[] cutDigest = new byte[DIGEST];

    /**
     * @param pool runs the hashing beside the calling thread, which takes a share itself
     * @param threads how many threads hash a window, the caller's included (1: no pool needed)
     */
    public PredictiveChunker(ChunkerParams params, ExecutorService pool, int threads) {
        this(params, pool, threads, PREDICTED_WINDOW, CUT_WINDOW);
    }

    /** With other window sizes: for tests, which cross window ends on small files. */
    PredictiveChunker(ChunkerParams params, ExecutorService pool, int threads, int predictedWindow, int cutWindow) {
        this.chunker = new ContentDefinedChunker(params);
        this.pool = pool;
        this.threads = Math.max(1, threads);
        this.predictedWindow = predictedWindow;
        this.cutWindow = cutWindow;
        this.buf = new byte[Math.max(predictedWindow, cutWindow + params.maxSize())];
    }

    /**
     * Chunks {@code size} bytes of {@code file} from position 0.
     *
     * @param previous the previous version's chunks of the same part, or {@link PreviousChunks#NONE}
     */
    public Stats run(FileChannel file, long size, PreviousChunks previous, Sink sink) throws IOException {
        long pos = 0;
        int next = previous.size() > 0 ? 0 : -1; // the predicted chunk at pos, or -1: cut
        long chunks = 0;
        long predictedBytes = 0;
        long predictedChunks = 0;
        while (pos < size) {
            Window w = next >= 0 ? predictedWindow(file, pos, size, previous, next) : null;
            if (w != null) {
                // Walk the predictions in order; cut where one fails, until the cuts meet one again.
                long cursor = pos;
                int k = 0;
                next = -1;
                while (cursor < pos + w.length) {
                    int at = (int) (cursor - pos);
                    if (k < w.count && starts[k] == at && previous.matches(w.first + k, digests, k * DIGEST)) {
                        sink.chunk(cursor, lengths[k], digests, k * DIGEST, true, buf, at);
                        cursor += lengths[k];
                        predictedBytes += lengths[k];
                        predictedChunks++;
                        chunks++;
                        k++;
                        next = w.first + k < previous.size() ? w.first + k : -1;
                        if (k == w.count) {
                            break; // every prediction held: the next window predicts on
                        }
                        continue;
                    }
                    int avail = (int) (pos + w.length - cursor);
                    boolean eof = pos + w.length == size;
                    if (avail < chunker.maxSize() && !eof) {
                        next = -1; // the window ends inside a cut chunk: go on cutting
                        break;
                    }
                    int n = chunker.nextCut(buf, at, avail);
                    byte[] d = cutDigest;
                    if (k < w.count && starts[k] == at && lengths[k] == n) {
                        System.arraycopy(digests, k * DIGEST, d, 0, DIGEST); // the same span, already hashed
                    } else {
                        hash(at, n, d, 0);
                    }
                    int seen = previous.indexOf(d, 0);
                    sink.chunk(cursor, n, d, 0, seen >= 0, buf, at);
                    cursor += n;
                    chunks++;
                    while (k < w.count && pos + starts[k] < cursor) {
                        k++;
                    }
                    if (k < w.count && pos + starts[k] == cursor) {
                        next = w.first + k; // back on a predicted boundary: a change in place
                        continue;
                    }
                    next = seen >= 0 && seen + 1 < previous.size() ? seen + 1 : -1;
                    if (next >= 0) {
                        break; // a chunk the previous version had, elsewhere: predict from it
                    }
                    if (k >= w.count) {
                        break; // past the last prediction of this window
                    }
                }
                pos = cursor;
            } else {
                int count = cutWindow(file, pos, size);
                next = -1;
                int seen = -1;
                for (int i = 0; i < count; i++) {
                    seen = previous.indexOf(digests, i * DIGEST);
                    sink.chunk(pos + starts[i], lengths[i], digests, i * DIGEST, seen >= 0, buf, starts[i]);
                    chunks++;
                }
                long end = pos + starts[count - 1] + lengths[count - 1];
                if (seen >= 0 && seen + 1 < previous.size()) {
                    next = seen + 1; // the last chunk cut is one the previous version had: predict on
                }
                pos = end;
            }
        }
        return new Stats(size, chunks, predictedBytes, predictedChunks);
    }

    private record Window(int first, int count, int length) {}

    /** Reads and hashes the run of predicted chunks from {@code first}; null if none fits. */
    private Window predictedWindow(FileChannel file, long pos, long size, PreviousChunks previous, int first)
            throws IOException {
        int count = 0;
        int length = 0;
        for (int j = first; j < previous.size(); j++) {
            int n = previous.length(j);
            if (length + n > predictedWindow || pos + length + n > size) {
                break;
            }
            // The previous version's last chunk may have been cut by its end, not by its bytes.
            if (j == previous.size() - 1 && pos + length + n != size) {
                break;
            }
            ensure(count + 1);
            starts[count] = length;
            lengths[count] = n;
            count++;
            length += n;
        }
        if (count == 0) {
            return null;
        }
        // Read past the predictions up to a full chunk, so that a failed one can be cut in place.
        int readLength = (int) Math.min(size - pos, Math.min((long) buf.length, (long) length + chunker.maxSize()));
        read(file, pos, readLength);
        hashAll(count);
        return new Window(first, count, readLength);
    }

    /** Reads a window from {@code pos}, cuts it into chunks and hashes them; returns how many. */
    private int cutWindow(FileChannel file, long pos, long size) throws IOException {
        int readLength = (int) Math.min(size - pos, (long) cutWindow + chunker.maxSize());
        read(file, pos, readLength);
        boolean eof = pos + readLength == size;
        int count = 0;
        int at = 0;
        while (at < readLength && (at < cutWindow || eof)) {
            int avail = readLength - at;
            if (avail < chunker.maxSize() && !eof) {
                break;
            }
            int n = chunker.nextCut(buf, at, avail);
            ensure(count + 1);
            starts[count] = at;
            lengths[count] = n;
            count++;
            at += n;
        }
        hashAll(count);
        return count;
    }

    private void read(FileChannel file, long pos, int length) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, length);
        while (bb.hasRemaining()) {
            int n = file.read(bb, pos + bb.position());
            if (n < 0) {
                throw new EOFException("file ended at byte " + (pos + bb.position()) + ", expected "
                        + (pos + length) + ": it shrank while it was read");
            }
        }
    }

    /** Hashes chunks {@code 0..count} of the buffer into {@link #digests}, on up to {@link #threads} threads. */
    private void hashAll(int count) throws IOException {
        int parts = count < 16 ? 1 : Math.min(threads, count);
        if (parts == 1) {
            hashRange(0, count);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        int per = (count + parts - 1) / parts;
        for (int p = 1; p < parts; p++) {
            int from = p * per;
            int to = Math.min(count, from + per);
            if (from < to) {
                futures.add(pool.submit(() -> hashRange(from, to)));
            }
        }
        hashRange(0, Math.min(count, per));
        try {
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while hashing", e);
        } catch (ExecutionException e) {
            throw new IOException("hashing failed: " + e.getCause(), e.getCause());
        }
    }

    private void hashRange(int from, int to) {
        for (int i = from; i < to; i++) {
            hash(starts[i], lengths[i], digests, i * DIGEST);
        }
    }

    private void hash(int off, int len, byte[] out, int outOff) {
        MessageDigest md = sha.get();
        md.update(buf, off, len);
        try {
            md.digest(out, outOff, DIGEST);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException(e);
        }
    }

    private void ensure(int n) {
        if (n > starts.length) {
            int m = Math.max(n, starts.length * 2);
            starts = Arrays.copyOf(starts, m);
            lengths = Arrays.copyOf(lengths, m);
            digests = Arrays.copyOf(digests, m * DIGEST);
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }
}
