package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The footer of a sealed pack as a test reads it back from the file's last bytes, after checking
 * its tag and CRC32C (PackFormat: TAG 'F' || RECORD_COUNT(u32) || DATA_END(u64) || CRC32C(u32)).
 */
public record PackFooter(int records, long dataEnd) {
    /** Reads and checks the footer that must end {@code pack}; fails the test when there is none. */
    public static PackFooter of(Path pack) throws IOException {
        try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer f = ByteBuffer.allocate(PackFormat.FOOTER_LENGTH);
            ch.read(f, size - PackFormat.FOOTER_LENGTH);
            assertEquals(PackFormat.FOOTER_TAG, f.get(0), pack + " does not end with a footer");
            CRC32C crc = new CRC32C();
            crc.update(f.array(), 0, 13);
            assertEquals((int) crc.getValue(), f.getInt(13), pack + ": footer CRC32C");
            PackFooter footer = new PackFooter(f.getInt(1), f.getLong(5));
            assertEquals(size - PackFormat.FOOTER_LENGTH, footer.dataEnd(), pack + ": footer's data end is where the footer starts");
            return footer;
        }
    }
}
