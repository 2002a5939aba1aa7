package io.ckpt.store;

import static io.ckpt.store.PackFormat.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;

/**
 * Appends record batches to one pack, an appendable object of the datastore's {@link ObjectStore}.
 * Not thread-safe: {@link PackStore} serializes access. After a failed write the writer is broken
 * (restic's ErrBroken): it truncates the torn tail back to the last whole batch and refuses
 * further appends.
 */
final class PackWriter {
    private final long id;
    private final String key;
    private final ObjectStore.Appender out;
    private long size;
    private int records;
    private IOException broken;

    private PackWriter(long id, ObjectStore.Appender out) {
        this.id = id;
        this.key = out.key();
        this.out = out;
        this.size = out.size();
    }

    /** Creates the pack with its header, durably (the store writes it out of sight and puts it in place). */
    static PackWriter create(Datastore ds, long id) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH);
        header.put(MAGIC).put((byte) VERSION).putLong(id).put(new byte[7]).flip();
        try {
            return new PackWriter(id, ds.objects().create(Datastore.packKey(id), header));
        } catch (FileAlreadyExistsException e) {
            throw new StoreException.Incompatible("pack file " + ds.packPath(id) + " already exists but the catalog has no"
                    + " record of it: the catalog does not belong to this datastore's packs (check --catalog)");
        }
    }

    long id() {
        return id;
    }

    long size() {
        return size;
    }

    /** The pack's appender, for {@link PackStore#sync()} to force outside the store's monitor. */
    ObjectStore.Appender appender() {
        return out;
    }

    boolean isBroken() {
        return broken != null;
    }

    /** Writes the whole batch at the end of the pack and returns the offset of its first byte. */
    long append(RecordBatch batch) throws IOException {
        if (broken != null) {
            throw new StoreException("pack " + key + " cannot be used after a write error: " + broken.getMessage(), broken);
        }
        long base = size;
        try {
            out.append(batch.contents());
        } catch (IOException e) {
            broken = e;
            try {
                out.truncate(base);
            } catch (IOException ignored) {
                // Recovery at the next start truncates at the last valid record instead.
            }
            throw StoreException.classify(e, "appending to pack " + key);
        }
        size = base + batch.bytes();
        records += batch.count();
        return base;
    }

    void force() throws IOException {
        out.force();
    }

    /** Appends the footer, seals (fsync), reads the footer back and closes. The pack never changes after this. */
    void seal() throws IOException {
        ByteBuffer footer = PackFormat.footer(records, size);
        out.append(footer.duplicate());
        out.seal();
        // Read back what was sealed (restic's verifyHeader): a write the disk garbled is caught now, not at restore.
        ByteBuffer back = ByteBuffer.allocate(FOOTER_LENGTH);
        ObjectStore.readFully(out::read, back, size);
        out.close();
        if (!back.flip().equals(footer)) {
            throw new StoreException.Corrupt("pack " + key + ": the footer read back differs from the one written"
                    + " (disk or file-system fault); the pack is left unsealed and checked at the next start");
        }
    }

    void closeQuietly() {
        try {
            out.close();
        } catch (IOException ignored) {
            // Closing after a failure: the failure itself has been reported.
        }
    }
}
