package io.ckpt.store;

import static io.ckpt.store.PackFormat.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Walks a pack's records from the start and finds where the valid ones end: the first record
 * that is torn, fails its CRC or is not a record marks the end. Used at start-up on packs that
 * were open when the server stopped, to cut away what a crash left half-written.
 */
public final class PackScanner {
    private PackScanner() {}

    /** The valid prefix of a pack: its length (header plus whole, CRC-clean records) and record count. */
    public record Scan(long validLength, int records) {}

    public static Scan scan(Path pack, long expectedId) throws IOException {
        try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH);
            if (read(ch, header, 0) < HEADER_LENGTH
                    || !Arrays.equals(header.array(), 0, 8, MAGIC, 0, 8)
                    || header.get(8) != VERSION
                    || header.getLong(9) != expectedId) {
                throw new StoreException.Corrupt("pack " + pack + " has a bad header");
            }
            CRC32C crc = new CRC32C();
            ByteBuffer rec = ByteBuffer.allocate(RECORD_HEADER_LENGTH + 64 * 1024);
            long pos = HEADER_LENGTH;
            int records = 0;
            while (pos + RECORD_HEADER_LENGTH <= fileSize) {
                rec.clear().limit(RECORD_HEADER_LENGTH);
                read(ch, rec, pos);
                if (rec.get(0) != RECORD_TAG) {
                    break;
                }
                int raw = rec.getInt(34);
                int stored = rec.getInt(38);
                if (raw <= 0 || raw > MAX_RAW_LENGTH || stored < 0 || stored > MAX_RAW_LENGTH + 1024
                        || pos + RECORD_HEADER_LENGTH + stored > fileSize) {
                    break;
                }
                if (rec.capacity() < RECORD_HEADER_LENGTH + stored) {
                    ByteBuffer bigger = ByteBuffer.allocate(RECORD_HEADER_LENGTH + stored);
                    bigger.put(rec.array(), 0, RECORD_HEADER_LENGTH);
                    rec = bigger;
                }
                rec.limit(RECORD_HEADER_LENGTH + stored).position(RECORD_HEADER_LENGTH);
                read(ch, rec, pos + RECORD_HEADER_LENGTH);
                crc.reset();
                crc.update(rec.array(), 0, 42);
                crc.update(rec.array(), RECORD_HEADER_LENGTH, stored);
                if ((int) crc.getValue() != rec.getInt(42)) {
                    break;
                }
                pos += RECORD_HEADER_LENGTH + stored;
                records++;
            }
            return new Scan(pos, records);
        }
    }

    private static int read(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        int total = 0;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /** Cuts the pack to {@code length} and seals it with a footer counting what remains. */
    public static void truncateAndSeal(Path pack, long length, int records) throws IOException {
        try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.WRITE)) {
            ch.truncate(length);
            ch.write(PackFormat.footer(records, length), length);
            ch.force(true);
        }
    }
}
