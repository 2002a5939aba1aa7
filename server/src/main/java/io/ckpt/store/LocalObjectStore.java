package io.ckpt.store;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@link ObjectStore} on a local directory: a key is a file under {@code root}, staging is a
 * directory of temporary files on the same file system ({@code tmp/} in a datastore). The
 * guarantees of the interface come from the file system this way:
 * <ul>
 *   <li>create: the head goes to {@code staging/NAME.tmp}, is fsynced and renamed into place, and
 *       the directory is fsynced (the key's parent directories too, as they are made), so an
 *       appendable object never exists without its whole head;</li>
 *   <li>append writes in place at the object's end; force is fdatasync ({@code force(false)}),
 *       seal is fsync ({@code force(true)}), after which the appender only reads; an object is
 *       never renamed after create;</li>
 *   <li>publish: fsync of {@code staging/NAME.tmp}, atomic rename over the key, fsync of the
 *       directory; {@link #discardUnpublished} empties the staging directory;</li>
 *   <li>delete unlinks; the unlink is durable when the directory is next fsynced (the next create
 *       or publish in it), which no caller relies on sooner.</li>
 * </ul>
 * These are the same calls, in the same order, the datastore made before the interface existed,
 * so datastores written before it open unchanged.
 */
public final class LocalObjectStore implements ObjectStore {
    private final Path root;
    private final Path staging;

    /** Objects under {@code root}, staged in {@code staging} (on the same file system). Creates nothing. */
    public LocalObjectStore(Path root, Path staging) {
        this.root = root;
        this.staging = staging;
    }

    /** The file that holds {@code key}. */
    public Path path(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/") || key.contains("\\")) {
            throw new IllegalArgumentException("not an object key: '" + key + "'");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("not an object key: '" + key + "'");
            }
        }
        return root.resolve(key);
    }

    private Path stagingPath(String key) {
        Path target = path(key);
        return staging.resolve(target.getFileName() + ".tmp");
    }

    @Override
    public Appender create(String key, ByteBuffer head) throws IOException {
        Path path = path(key);
        Datastore.createDirectoryDurably(path.getParent()); // its directory entry must survive a power loss too
        Path tmp = stagingPath(key);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (head.hasRemaining()) {
                ch.write(head);
            }
            ch.force(true);
        }
        if (Files.exists(path)) {
            Files.deleteIfExists(tmp);
            throw new FileAlreadyExistsException(path.toString(), null, "object " + key + " already exists");
        }
        Datastore.moveDurably(tmp, path);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
        return new FileAppender(key, ch, ch.size(), null);
    }

    @Override
    public Appender resume(String key, long keep) throws IOException {
        FileChannel ch = FileChannel.open(path(key), StandardOpenOption.WRITE, StandardOpenOption.READ);
        try {
            ch.truncate(keep);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new FileAppender(key, ch, keep, null);
    }

    @Override
    public Appender appendable(String key) throws IOException {
        Path path = path(key);
        Files.createDirectories(path.getParent());
        boolean created = !Files.exists(path);
        // O_APPEND: two appenders of one log (two Datastore objects in one process) never overwrite each other.
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        if (created) {
            Datastore.fsyncDirectory(path.getParent());
        }
        return new FileAppender(key, ch, ch.size(), path);
    }

    @Override
    public Staged stage(String key) throws IOException {
        Path target = path(key);
        Path tmp = stagingPath(key);
        Files.createDirectories(target.getParent());
        Files.createDirectories(staging);
        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        return new FileStaged(target, tmp, ch);
    }

    @Override
    public ObjectReader open(String key) throws IOException {
        return openFile(path(key));
    }

    /** Ranged reads of {@code file}, as of an object. */
    static ObjectReader openFile(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); // NoSuchFileException when missing
        return new ObjectReader() {
            @Override
            public long size() throws IOException {
                return ch.size();
            }

            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                return ch.read(dst, position);
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    @Override
    public boolean exists(String key) {
        return Files.exists(path(key));
    }

    @Override
    public long size(String key) throws IOException {
        return Files.size(path(key));
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("list needs a prefix, such as packs/: the directory holds other files too");
        }
        // Walk from the deepest directory the prefix names whole, then filter by the rest.
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        List<String> keys = new ArrayList<>();
        if (!Files.isDirectory(start)) {
            return keys;
        }
        try (Stream<Path> walk = Files.walk(start)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p) && !p.startsWith(staging)) { // staged objects are not listed
                    String key = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                    if (key.startsWith(prefix)) {
                        keys.add(key);
                    }
                }
            }
        }
        keys.sort(null);
        return keys;
    }

    @Override
    public boolean delete(String key) throws IOException {
        return Files.deleteIfExists(path(key));
    }

    @Override
    public void discardUnpublished() throws IOException {
        if (!Files.isDirectory(staging)) {
            return;
        }
        try (Stream<Path> leftovers = Files.list(staging)) {
            for (Path p : (Iterable<Path>) leftovers::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Appends in place with positional writes at the object's end; a log ({@code logFile} set) is
     * open in append mode instead, where the kernel puts every write at the end.
     */
    private static final class FileAppender implements Appender {
        private final String key;
        private final FileChannel channel;
        private final Path logFile;
        private long size;
        private volatile boolean sealed;

        FileAppender(String key, FileChannel channel, long size, Path logFile) {
            this.key = key;
            this.channel = channel;
            this.size = size;
            this.logFile = logFile;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void append(ByteBuffer src) throws IOException {
            writable();
            if (logFile != null) {
                while (src.hasRemaining()) {
                    size += channel.write(src);
                }
                return;
            }
            long pos = size;
            while (src.hasRemaining()) {
                pos += channel.write(src, pos);
            }
            size = pos;
        }

        @Override
        public void truncate(long newSize) throws IOException {
            writable();
            if (newSize > size) {
                throw new IllegalArgumentException("object " + key + ": truncate to " + newSize + " > size " + size);
            }
            channel.truncate(newSize);
            size = newSize;
        }

        @Override
        public void force() throws IOException {
            writable();
            channel.force(false); // ClosedChannelException once closed, also when a close races with it
        }

        @Override
        public void seal() throws IOException {
            writable();
            channel.force(true);
            sealed = true;
        }

        private void writable() throws ClosedChannelException {
            if (sealed) {
                throw new ClosedChannelException(); // a sealed object never changes
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            if (logFile != null) { // a channel in append mode cannot read
                try (FileChannel r = FileChannel.open(logFile, StandardOpenOption.READ)) {
                    return r.read(dst, position);
                }
            }
            return channel.read(dst, position);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** A temporary file in staging, renamed over the target by publish. */
    private static final class FileStaged implements Staged {
        private final Path target;
        private final Path tmp;
        private final FileChannel channel;
        private final OutputStream output;
        private boolean published;

        FileStaged(Path target, Path tmp, FileChannel channel) {
            this.target = target;
            this.tmp = tmp;
            this.channel = channel;
            OutputStream out = Channels.newOutputStream(channel);
            this.output = new OutputStream() { // closing it leaves the file to publish() or close()
                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }
            };
        }

        @Override
        public OutputStream output() {
            return output;
        }

        @Override
        public void publish() throws IOException {
            channel.force(true);
            channel.close();
            Datastore.moveDurably(tmp, target);
            published = true;
        }

        @Override
        public void close() throws IOException {
            channel.close();
            if (!published) {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
