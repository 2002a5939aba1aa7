package io.ckpt.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * Where a datastore's bytes live: packs, manifests and the catalog journal, each an object named
 * by a key such as {@code packs/2a/000000000000002a.pack}, {@code manifests/000000000000002a.manifest}
 * or {@code journal/catalog.journal} (relative, '/'-separated, no empty, "." or ".." segment;
 * any other key is refused with {@link IllegalArgumentException}).
 * {@link LocalObjectStore}, the datastore directory, is the only implementation today; the shape
 * is the one an object store (S3 and the like) can give, so that packs can move there
 * (docs/ARCHITECTURE.md, "Storage interface").
 *
 * <p>Three ways to write, each with its durability:
 * <ul>
 *   <li>{@link #create}: an <b>appendable object</b> (a pack). It exists under its key from
 *       creation, with its first bytes durable. {@link Appender#append} adds bytes that this
 *       process can read back at once but that are durable only after {@link Appender#force} or
 *       {@link Appender#seal}; a crash before then leaves a prefix of them, possibly torn, which
 *       the reader (recovery) must cut at the last whole record. {@link Appender#seal} makes every
 *       byte durable and the object immutable: no append, truncate or force after it (they throw
 *       {@link ClosedChannelException}), never renamed, only deleted. An object store stages an
 *       appendable object locally and uploads it (one PUT, or a multipart upload) at seal.</li>
 *   <li>{@link #stage}: an object written out of sight and <b>published</b> in one step
 *       (a manifest, a rewritten journal). Nothing is visible under the key until
 *       {@link Staged#publish} returns, and then the whole object is, durably; a crash leaves
 *       either the old object (or none) or the new one, never a part. A staged object a crash cut
 *       off is removed by {@link #discardUnpublished}. This replaces "write a temporary file,
 *       fsync, rename, fsync the directory": a store without rename does it as one PUT.</li>
 *   <li>{@link #appendable}: a <b>log</b> that is never sealed (the journal): each
 *       {@link Appender#force} makes the appends before it durable. A crash may leave a torn last
 *       line, which the log's reader skips.</li>
 * </ul>
 *
 * <p>Reading: {@link #open} gives ranged reads of a sealed or published object, and of an
 * appendable object this process is still writing (a restore reads the open pack): every byte
 * appended before the read started is read back (read-after-write). A missing key throws
 * {@link NoSuchFileException}. {@link #list} and {@link #exists} see sealed, unsealed and
 * published objects, never staged ones; {@link #delete} removes any of them, and a delete is
 * seen by every later read and list. Whether an object is sealed is recorded by the caller (the
 * catalog's packs table), not by the store: {@link #resume} is for objects the catalog says were
 * left open.
 *
 * <p>Implementations are thread-safe; one {@link Appender} or {@link Staged} is used by one
 * thread at a time (the caller serializes), except {@link Appender#force}, which may race with
 * {@link Appender#seal} and then throws {@link ClosedChannelException} (the seal made it durable).
 */
public interface ObjectStore {
    /**
     * Creates the appendable object {@code key} holding {@code head}, durably (a crash leaves
     * either no object or one with the whole head), and opens it for appending.
     *
     * @throws FileAlreadyExistsException when {@code key} exists
     */
    Appender create(String key, ByteBuffer head) throws IOException;

    /**
     * Reopens {@code key}, an appendable object a crash or an abandoned writer left unsealed, cut
     * to its first {@code keep} bytes (the cut is durable once the appender is forced or sealed).
     */
    Appender resume(String key, long keep) throws IOException;

    /** Opens the log {@code key} for appending at its end, creating it (durably) empty when missing. */
    Appender appendable(String key) throws IOException;

    /** Starts writing {@code key} out of sight; see {@link Staged#publish}. */
    Staged stage(String key) throws IOException;

    /**
     * Opens {@code key} for ranged reads.
     *
     * @throws NoSuchFileException when there is no such object
     */
    ObjectReader open(String key) throws IOException;

    boolean exists(String key) throws IOException;

    /**
     * The size of {@code key} in bytes.
     *
     * @throws NoSuchFileException when there is no such object
     */
    long size(String key) throws IOException;

    /**
     * The keys that start with {@code prefix} (not empty: a datastore lists one kind of object at a
     * time, such as {@code packs/}), at any depth, in ascending order; staged objects are not listed.
     */
    List<String> list(String prefix) throws IOException;

    /** Deletes {@code key}; returns whether it existed. */
    boolean delete(String key) throws IOException;

    /** Removes what staging a crash cut off left behind (never an unsealed appendable object). At start only. */
    void discardUnpublished() throws IOException;

    /** A positional read: {@link ObjectReader#read} or {@link Appender#read}. */
    @FunctionalInterface
    interface PositionalRead {
        int read(ByteBuffer dst, long position) throws IOException;
    }

    /** Reads with {@code read} from {@code position} until {@code dst} is full or the object ends; returns the bytes read. */
    static int readFully(PositionalRead read, ByteBuffer dst, long position) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = read.read(dst, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /** Appends to one object. Not thread-safe, but for {@link #force} racing {@link #seal}. */
    interface Appender extends Closeable {
        String key();

        /**
         * Bytes in the object: its head and every successful append (of a log: its size when
         * opened plus this appender's appends).
         */
        long size();

        /**
         * Writes all of {@code src} at {@link #size()}. On failure {@code size()} is unchanged and
         * bytes past it may be torn: {@link #truncate} them before any further append.
         */
        void append(ByteBuffer src) throws IOException;

        /** Cuts the object to {@code size} bytes (only shorter, only before seal). */
        void truncate(long size) throws IOException;

        /** Makes every byte appended so far durable; the object stays open for appending. */
        void force() throws IOException;

        /**
         * Makes the object durable and immutable: from here on {@link #append}, {@link #truncate}
         * and {@link #force} throw {@link ClosedChannelException}; {@link #read} reads the sealed
         * object (a writer reads back what it sealed) until {@link #close}.
         */
        void seal() throws IOException;

        /**
         * Reads up to {@code dst.remaining()} bytes at {@code position} of the object, as
         * {@link ObjectReader#read}; for reading back what was written, until {@link #close}.
         */
        int read(ByteBuffer dst, long position) throws IOException;

        /**
         * Ends this appender. Unless it was sealed, the object stays as a crash would leave it
         * (what was forced is durable), for {@link ObjectStore#resume} at the next start.
         */
        @Override
        void close() throws IOException;
    }

    /** An object written out of sight until {@link #publish}. */
    interface Staged extends Closeable {
        /** Where the bytes go (unbuffered); closing it neither publishes nor drops them. */
        OutputStream output();

        /**
         * Makes the bytes written so far durable and puts them under the key in one step,
         * replacing any object there; on return the object is durable and immutable.
         */
        void publish() throws IOException;

        /** Drops the staged bytes unless they were published; nothing appears under the key. */
        @Override
        void close() throws IOException;
    }

    /** Ranged reads of one object. */
    interface ObjectReader extends Closeable {
        long size() throws IOException;

        /**
         * Reads up to {@code dst.remaining()} bytes from {@code position} into {@code dst}; returns
         * how many, or -1 when {@code position} is at or past the end.
         */
        int read(ByteBuffer dst, long position) throws IOException;

        /** Reads from {@code position} until {@code dst} is full or the object ends; returns the bytes read. */
        default int readFully(ByteBuffer dst, long position) throws IOException {
            return ObjectStore.readFully(this::read, dst, position);
        }

        /** The object from its start as a stream, over this reader (closing it closes the reader). */
        default InputStream stream() {
            ObjectReader reader = this;
            return new InputStream() {
                private long pos;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (len == 0) {
                        return 0;
                    }
                    int n = reader.read(ByteBuffer.wrap(b, off, len), pos);
                    if (n > 0) {
                        pos += n;
                    }
                    return n == 0 ? -1 : n;
                }

                @Override
                public void close() throws IOException {
                    reader.close();
                }
            };
        }
    }
}
