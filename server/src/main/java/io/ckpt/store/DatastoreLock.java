package io.ckpt.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * One server per datastore. An OS file lock (fcntl) is held for the server's lifetime: the kernel
 * drops it when the process dies, however it dies, so a lock left by a dead server is taken over
 * without anyone deleting a file. The file's text names the holder for the error message.
 *
 * <p>POSIX locks belong to the process, and closing any descriptor of the file drops them, so a
 * second attempt from the same JVM is refused from a registry before a descriptor is opened.
 */
public final class DatastoreLock implements AutoCloseable {
    private static final Map<Path, String> HELD_HERE = new HashMap<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DatastoreLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    static DatastoreLock acquire(Path file, String holder) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        synchronized (HELD_HERE) {
            String current = HELD_HERE.get(key);
            if (current != null) {
                throw locked(current);
            }
            FileChannel ch = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                ByteBuffer buf = ByteBuffer.allocate(512);
                ch.read(buf, 0);
                ch.close(); // this process held no lock on the file, so closing drops nothing
                throw locked(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim());
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(true);
            HELD_HERE.put(key, holder);
            return new DatastoreLock(key, ch, lock);
        }
    }

    private static StoreException.Locked locked(String holder) {
        return new StoreException.Locked("datastore is in use by another ckpt server ("
                + (holder.isEmpty() ? "holder unknown" : holder) + "); stop it first, or give another --datastore");
    }

    @Override
    public void close() throws IOException {
        synchronized (HELD_HERE) {
            try {
                channel.truncate(0);
                lock.release();
            } finally {
                channel.close();
                HELD_HERE.remove(file);
            }
        }
    }
}
