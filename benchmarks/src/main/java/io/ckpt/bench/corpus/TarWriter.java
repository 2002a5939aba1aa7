package io.ckpt.bench.corpus;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

/**
 * Writes a {@link FileTreeCorpus.Tree} as a POSIX ustar archive, as {@code tar -cf} would:
 * a 512-byte header per entry (every parent directory first), contents padded to 512 bytes,
 * two zero blocks at the end. Owner root, paths under 100 bytes (the corpus makes no longer ones).
 */
final class TarWriter {
    private static final int BLOCK = 512;

    private TarWriter() {}

    static void write(FileTreeCorpus.Tree tree, OutputStream out) throws IOException {
        Set<String> dirs = new TreeSet<>();
        for (String path : tree.files().keySet()) {
            for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
                dirs.add(path.substring(0, i + 1));
            }
        }
        long dirTime = tree.files().values().stream().mapToLong(FileTreeCorpus.File::mtime).min().orElse(0);
        for (String dir : dirs) {
            out.write(header(dir, 0755, 0, dirTime, '5'));
        }
        for (FileTreeCorpus.File f : tree.files().values()) {
            out.write(header(f.path(), f.mode(), f.content().length, f.mtime(), '0'));
            out.write(f.content());
            int pad = (BLOCK - f.content().length % BLOCK) % BLOCK;
            out.write(new byte[pad]);
        }
        out.write(new byte[2 * BLOCK]);
    }

    private static byte[] header(String name, int mode, long size, long mtime, char type) {
        byte[] h = new byte[BLOCK];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length > 100) {
            throw new IllegalArgumentException("tar path over 100 bytes: " + name);
        }
        System.arraycopy(n, 0, h, 0, n.length);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        h[156] = (byte) type;
        ascii(h, 257, "ustar\0");
        ascii(h, 263, "00");
        ascii(h, 265, "root");
        ascii(h, 297, "root");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        h[155] = ' ';
        return h;
    }

    /** {@code value} in octal, zero-padded to {@code len - 1} digits and NUL-terminated. */
    private static void octal(byte[] h, int off, int len, long value) {
        String s = Long.toOctalString(value);
        if (s.length() > len - 1) {
            throw new IllegalArgumentException("tar field of " + len + " bytes too small for " + value);
        }
        ascii(h, off, "0".repeat(len - 1 - s.length()) + s + "\0");
    }

    private static void ascii(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }
}
