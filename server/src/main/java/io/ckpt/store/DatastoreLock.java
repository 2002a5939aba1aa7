package io.ckpt.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One server per datastore. An OS file lock (fcntl) is held for the server's lifetime: the kernel
 * drops it when the process dies, however it dies, so a lock left by a dead server is taken over
 * without anyone deleting a file. The file's text names the holder for the error message.
 */
public final class DatastoreLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DatastoreLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DatastoreLock acquire(Path file, String holder) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ByteBuffer buf = ByteBuffer.allocate(512);
            ch.read(buf, 0);
            ch.close();
            String current = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
            throw new StoreException.Locked("datastore is in use by another ckpt server ("
                    + (current.isEmpty() ? "holder unknown" : current) + "); stop it first, or give another --datastore");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(true);
        return new DatastoreLock(ch, lock);
    }

    @Override
    public void close() throws IOException {
        try {
            channel.truncate(0);
            lock.release();
        } finally {
            channel.close();
        }
    }
}
