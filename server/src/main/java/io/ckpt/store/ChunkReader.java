package io.ckpt.store;

import static io.ckpt.store.PackFormat.*;

import io.ckpt.chunk.ChunkDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Reads chunk records back and proves them: record tag and CRC32C, the digest in the record
 * against the one asked for, and SHA-256 of the decompressed bytes against that digest. A reader
 * is owned by one thread (restore, verify) and keeps a few pack files open.
 */
public final class ChunkReader implements AutoCloseable {
    private static final int OPEN_PACKS = 16;

    private final Datastore ds;
    // The safe decompressor: in lz4-java 1.14 only it is JNI (fastDecompressor() is pure Java, a
    // fifth of the speed; docs/BENCHMARKS.md), and it cannot read or write out of bounds on damage.
    private final LZ4SafeDecompressor lz4 = LZ4Factory.fastestInstance().safeDecompressor();
    private final MessageDigest sha = ChunkDigest.sha256();
    private final CRC32C crc = new CRC32C();
    private final byte[] digestOut = new byte[32];
    private ByteBuffer record = ByteBuffer.allocate(RECORD_HEADER_LENGTH + 64 * 1024);
    private final Map<Long, ObjectStore.ObjectReader> open = new LinkedHashMap<>(OPEN_PACKS, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, ObjectStore.ObjectReader> e) {
            if (size() > OPEN_PACKS) {
                try {
                    e.getValue().close();
                } catch (IOException ignored) {
                    // read-only: nothing to lose
                }
                return true;
            }
            return false;
        }
    };

    public ChunkReader(Datastore ds) {
        this.ds = ds;
    }

    /**
     * Reads the chunk {@code digest} stored at {@code packId}/{@code offset} and writes its
     * {@code rawLength} uncompressed bytes to {@code dst[dstOff..]}.
     *
     * @throws StoreException.Corrupt naming the pack, offset and what did not match
     */
    /**
     * Checks the record of a chunk without decompressing it: the pack's header, the record's tag,
     * CRC32C, digest and sizes. A flipped bit anywhere in the record fails the CRC; verify uses this
     * for its quick pass and {@link #read} (which also proves the SHA-256) for --full.
     */
    public void check(byte[] digest, long packId, long offset, int storedLength, int rawLength) throws IOException {
        readRecord(digest, 0, packId, offset, storedLength, rawLength);
    }

    /** Checks a chunk's record like {@link #check} and appends a copy of it to {@code batch} (compaction). */
    public void copyTo(RecordBatch batch, byte[] digest, long packId, long offset, int storedLength, int rawLength)
            throws IOException {
        readRecord(digest, 0, packId, offset, storedLength, rawLength);
        byte[] r = record.array();
        batch.add(digest, 0, r[33], rawLength, r, RECORD_HEADER_LENGTH, storedLength);
    }

    /** Reads the record into {@link #record} and checks everything but the decompressed bytes. */
    private void readRecord(byte[] digest, int digestOff, long packId, long offset, int storedLength, int rawLength)
            throws IOException {
        if (storedLength < 0 || storedLength > MAX_RAW_LENGTH + 1024 || rawLength <= 0 || rawLength > MAX_RAW_LENGTH) {
            throw new StoreException.Corrupt("catalog entry for pack " + packId + " offset " + offset
                    + " has impossible sizes (stored " + storedLength + ", raw " + rawLength + ")");
        }
        int total = RECORD_HEADER_LENGTH + storedLength;
        if (record.capacity() < total) {
            record = ByteBuffer.allocate(total);
        }
        record.clear().limit(total);
        if (reader(packId).readFully(record, offset) < total) {
            throw corrupt(packId, offset, "record runs past the end of the pack file");
        }
        byte[] r = record.array();
        if (r[0] != RECORD_TAG) {
            throw corrupt(packId, offset, "no record starts here (tag " + r[0] + ")");
        }
        crc.reset();
        crc.update(r, 0, 42);
        crc.update(r, RECORD_HEADER_LENGTH, storedLength);
        int storedCrc = record.getInt(42);
        if ((int) crc.getValue() != storedCrc) {
            throw corrupt(packId, offset, String.format("record CRC32C: actual %08x != expected %08x",
                    (int) crc.getValue(), storedCrc));
        }
        if (!Arrays.equals(r, 1, 33, digest, digestOff, digestOff + 32)) {
            throw corrupt(packId, offset, "record holds another chunk than the catalog says");
        }
        int raw = record.getInt(34);
        int stored = record.getInt(38);
        if (raw != rawLength || stored != storedLength) {
            throw corrupt(packId, offset, "record sizes (raw " + raw + ", stored " + stored
                    + ") != catalog (raw " + rawLength + ", stored " + storedLength + ")");
        }
    }

    public void read(byte[] digest, int digestOff, long packId, long offset, int storedLength, int rawLength,
            byte[] dst, int dstOff) throws IOException {
        readRecord(digest, digestOff, packId, offset, storedLength, rawLength);
        byte[] r = record.array();
        int codec = r[33];
        if (codec == CODEC_NONE) {
            if (storedLength != rawLength) {
                throw corrupt(packId, offset, "uncompressed record stores " + storedLength + " bytes but claims " + rawLength);
            }
            System.arraycopy(r, RECORD_HEADER_LENGTH, dst, dstOff, rawLength);
        } else if (codec == CODEC_LZ4) {
            try {
                int produced = lz4.decompress(r, RECORD_HEADER_LENGTH, storedLength, dst, dstOff, rawLength);
                if (produced != rawLength) {
                    throw corrupt(packId, offset, "LZ4 block of " + storedLength + " bytes decompresses to " + produced
                            + " bytes, not " + rawLength);
                }
            } catch (LZ4Exception e) {
                throw corrupt(packId, offset, "LZ4 block does not decompress: " + e.getMessage());
            }
        } else {
            throw corrupt(packId, offset, "unknown codec " + codec);
        }
        sha.update(dst, dstOff, rawLength);
        try {
            sha.digest(digestOut, 0, 32);
        } catch (java.security.DigestException e) {
            throw new AssertionError(e);
        }
        if (!Arrays.equals(digestOut, 0, 32, digest, digestOff, digestOff + 32)) {
            throw corrupt(packId, offset, "SHA-256 of the chunk's bytes does not match its name");
        }
    }

    private StoreException.Corrupt corrupt(long packId, long offset, String what) {
        return new StoreException.Corrupt("pack " + PackFormat.relativePath(packId) + " offset " + offset + ": " + what);
    }

    private ObjectStore.ObjectReader reader(long packId) throws IOException {
        ObjectStore.ObjectReader r = open.get(packId);
        if (r == null) {
            try {
                r = ds.objects().open(Datastore.packKey(packId));
            } catch (NoSuchFileException e) {
                throw new StoreException.Corrupt("pack " + PackFormat.relativePath(packId) + " is missing from the datastore");
            }
            try {
                checkHeader(r, packId);
            } catch (IOException e) {
                r.close();
                throw e;
            }
            open.put(packId, r);
        }
        return r;
    }

    private void checkHeader(ObjectStore.ObjectReader r, long packId) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(HEADER_LENGTH);
        r.readFully(h, 0);
        if (h.position() < HEADER_LENGTH || !Arrays.equals(h.array(), 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw corrupt(packId, 0, "not a ckpt pack file (bad magic)");
        }
        if (h.get(MAGIC.length) != VERSION) {
            throw new StoreException.Incompatible("pack " + PackFormat.relativePath(packId) + " has format version "
                    + h.get(MAGIC.length) + ", this ckpt reads version " + VERSION + ": upgrade ckpt");
        }
        if (h.getLong(MAGIC.length + 1) != packId) {
            throw corrupt(packId, 0, "header names pack " + h.getLong(MAGIC.length + 1) + " (file renamed or misplaced)");
        }
    }

    @Override
    public void close() {
        for (ObjectStore.ObjectReader r : open.values()) {
            try {
                r.close();
            } catch (IOException ignored) {
                // read-only
            }
        }
        open.clear();
    }
}
