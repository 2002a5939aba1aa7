package io.ckpt.store;

import static io.ckpt.store.PackFormat.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Walks a pack's records from the start and finds where the valid ones end: the first record
 * that is torn, fails its CRC or is not a record marks the end. Used at start-up on packs that
 * were open when the server stopped, to cut away what a crash left half-written.
 */
public final class PackScanner {
    private PackScanner() {}

    /**
     * What a scan found: {@code validLength}, the end of the last whole, CRC-clean record (where a
     * pack left open is cut); {@code records}, how many records lie before it (damaged ones
     * included: the count a footer at the cut must carry); whether a matching footer ends the
     * file (the pack was sealed); how many records failed their CRC; and {@code dataEnd}, where
     * the scan stopped.
     */
    public record Scan(long validLength, int records, boolean sealed, int damaged, long dataEnd) {
        public Scan(long validLength, int records, boolean sealed) {
            this(validLength, records, sealed, 0, validLength);
        }
    }

    /** Receives each valid record as the scan passes it. */
    @FunctionalInterface
    public interface RecordVisitor {
        /**
         * One record at {@code offset}; its digest is the 32 bytes of {@code header} from index 1
         * (the array is reused for the next record).
         */
        void record(byte[] header, long offset, int codec, int rawLength, int storedLength) throws IOException;
    }

    public static Scan scan(Path pack, long expectedId) throws IOException {
        return scan(pack, expectedId, null);
    }

    public static Scan scan(Path pack, long expectedId, RecordVisitor visitor) throws IOException {
        return scan(pack, expectedId, visitor, false);
    }

    /**
     * Like {@link #scan(Path, long, RecordVisitor)}; with {@code skipDamaged}, a whole record with
     * plausible sizes whose CRC fails is counted as damaged and skipped rather than ending the
     * scan: a record that fails in the middle of a pack is damage (bit rot), not a torn write, and
     * the good records after it must not be cut away with it. {@code validLength} is where the
     * last CRC-clean record ends (the cut for a pack left open by a crash), {@code dataEnd} where
     * the scan stopped (where a sealed pack's footer is).
     */
    public static Scan scan(Path pack, long expectedId, RecordVisitor visitor, boolean skipDamaged) throws IOException {
        try (ObjectStore.ObjectReader r = LocalObjectStore.openFile(pack)) {
            return scan(r, pack.toString(), expectedId, visitor, skipDamaged);
        }
    }

    /** Like {@link #scan(Path, long, RecordVisitor, boolean)}, of the pack {@code key} in {@code store}. */
    public static Scan scan(ObjectStore store, String key, long expectedId, RecordVisitor visitor, boolean skipDamaged)
            throws IOException {
        try (ObjectStore.ObjectReader r = store.open(key)) {
            return scan(r, key, expectedId, visitor, skipDamaged);
        }
    }

    private static Scan scan(ObjectStore.ObjectReader ch, String pack, long expectedId, RecordVisitor visitor,
            boolean skipDamaged) throws IOException {
        long fileSize = ch.size();
        ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH);
        if (ch.readFully(header, 0) < HEADER_LENGTH
                || !Arrays.equals(header.array(), 0, 8, MAGIC, 0, 8)
                || header.get(8) != VERSION
                || header.getLong(9) != expectedId) {
            throw new StoreException.Corrupt("pack " + pack + " has a bad header");
        }
        CRC32C crc = new CRC32C();
        ByteBuffer rec = ByteBuffer.allocate(RECORD_HEADER_LENGTH + 64 * 1024);
        long pos = HEADER_LENGTH;
        int records = 0;
        int damaged = 0;
        long lastGoodEnd = HEADER_LENGTH;
        int seen = 0; // records, clean or damaged
        int seenAtLastGood = 0;
        while (pos + RECORD_HEADER_LENGTH <= fileSize) {
            rec.clear().limit(RECORD_HEADER_LENGTH);
            ch.readFully(rec, pos);
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
            ch.readFully(rec, pos + RECORD_HEADER_LENGTH);
            crc.reset();
            crc.update(rec.array(), 0, 42);
            crc.update(rec.array(), RECORD_HEADER_LENGTH, stored);
            if ((int) crc.getValue() != rec.getInt(42)) {
                if (!skipDamaged) {
                    break;
                }
                damaged++;
                seen++;
                pos += RECORD_HEADER_LENGTH + stored;
                continue;
            }
            if (visitor != null) {
                visitor.record(rec.array(), pos, rec.get(33) & 0xff, raw, stored);
            }
            pos += RECORD_HEADER_LENGTH + stored;
            lastGoodEnd = pos;
            records++;
            seen++;
            seenAtLastGood = seen;
        }
        boolean sealed = false;
        if (fileSize == pos + FOOTER_LENGTH) {
            ByteBuffer footer = ByteBuffer.allocate(FOOTER_LENGTH);
            ch.readFully(footer, pos);
            footer.flip();
            sealed = footer.equals(PackFormat.footer(seen, pos));
        }
        return new Scan(lastGoodEnd, seenAtLastGood, sealed, damaged, pos);
    }

    /** Cuts the pack to {@code length} and seals it with a footer counting what remains. */
    public static void truncateAndSeal(Path pack, long length, int records) throws IOException {
        truncateAndSeal(new LocalObjectStore(pack.getParent(), pack.getParent()), pack.getFileName().toString(), length,
                records);
    }

    /**
     * Cuts the unsealed pack {@code key} to {@code length} and seals it with a footer counting
     * what remains: durable on return (a crash before leaves it unsealed, to be cut again).
     */
    public static void truncateAndSeal(ObjectStore store, String key, long length, int records) throws IOException {
        try (ObjectStore.Appender out = store.resume(key, length)) {
            out.append(PackFormat.footer(records, length));
            out.seal();
        }
    }
}
