package io.ckpt.store;

import static io.ckpt.store.PackFormat.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends record batches to one pack file. Not thread-safe: {@link PackStore} serializes access.
 * After a failed write the writer is broken (restic's ErrBroken): it truncates the torn tail
 * back to the last whole batch and refuses further appends.
 */
final class PackWriter {
    private final long id;
    private final Path path;
    private final FileChannel channel;
    private long size;
    private int records;
    private IOException broken;

    private PackWriter(long id, Path path, FileChannel channel, long size) {
        this.id = id;
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    /** Creates the pack file: header written under a temporary name, fsynced, then renamed. */
    static PackWriter create(Datastore ds, long id) throws IOException {
        Path path = ds.packPath(id);
        Datastore.createDirectoryDurably(path.getParent()); // packs/xx itself must survive a power loss
        Path tmp = ds.tmpDir().resolve(path.getFileName() + ".tmp");
        ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH);
        header.put(MAGIC).put((byte) VERSION).putLong(id).put(new byte[7]).flip();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (header.hasRemaining()) {
                ch.write(header);
            }
            ch.force(true);
        }
        if (Files.exists(path)) {
            Files.deleteIfExists(tmp);
            throw new StoreException.Incompatible("pack file " + path + " already exists but the catalog has no record of it:"
                    + " the catalog does not belong to this datastore's packs (check --catalog)");
        }
        Datastore.moveDurably(tmp, path);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
        return new PackWriter(id, path, ch, HEADER_LENGTH);
    }

    long id() {
        return id;
    }

    long size() {
        return size;
    }

    FileChannel channel() {
        return channel;
    }

    boolean isBroken() {
        return broken != null;
    }

    /** Writes the whole batch at the end of the pack and returns the offset of its first byte. */
    long append(RecordBatch batch) throws IOException {
        if (broken != null) {
            throw new StoreException("pack " + path + " cannot be used after a write error: " + broken.getMessage(), broken);
        }
        long base = size;
        ByteBuffer src = batch.contents();
        try {
            long pos = base;
            while (src.hasRemaining()) {
                pos += channel.write(src, pos);
            }
        } catch (IOException e) {
            broken = e;
            try {
                channel.truncate(base);
            } catch (IOException ignored) {
                // Recovery at the next start truncates at the last valid record instead.
            }
            throw StoreException.classify(e, "appending to pack " + path);
        }
        size = base + batch.bytes();
        records += batch.count();
        return base;
    }

    void force() throws IOException {
        channel.force(false);
    }

    /** Appends the footer, fsyncs and closes. The pack never changes after this. */
    void seal() throws IOException {
        ByteBuffer footer = PackFormat.footer(records, size);
        long pos = size;
        while (footer.hasRemaining()) {
            pos += channel.write(footer, pos);
        }
        channel.force(true);
        // Read back what was sealed (restic's verifyHeader): a write the disk garbled is caught now, not at restore.
        ByteBuffer back = ByteBuffer.allocate(FOOTER_LENGTH);
        while (back.hasRemaining() && channel.read(back, size + back.position()) > 0) {
            // keep reading
        }
        channel.close();
        if (!back.flip().equals(footer.flip())) {
            throw new StoreException.Corrupt("pack " + path + ": the footer read back differs from the one written"
                    + " (disk or file-system fault); the pack is left unsealed and checked at the next start");
        }
    }

    void closeQuietly() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing after a failure: the failure itself has been reported.
        }
    }
}
