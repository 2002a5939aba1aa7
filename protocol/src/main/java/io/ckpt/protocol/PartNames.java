package io.ckpt.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The rule for part names, applied at upload and again at restore, and the encoding of a file's
 * path bytes into a name (docs/FORMAT.md, "Part names").
 *
 * <p>A part name is the relative path of the file with '/' separators, as text. A POSIX file name
 * is bytes, any but NUL and '/', and need not be UTF-8; a name's text is its bytes read as UTF-8,
 * except that a backslash and every byte that is not part of a valid UTF-8 sequence are written
 * as the escape {@code \xHH} (two upper-case hex digits). Names written before this encoding never
 * held a backslash (the old rule refused one), so a name without one reads exactly as it always
 * did: its UTF-8 bytes. The encoding is canonical: a name is accepted only if encoding its bytes
 * gives it back, so two different names never mean the same file ({@code a\x2Fb} is refused, not
 * read as {@code a/b}), and the checks made on the text ('/'-separated components, none empty,
 * "." or "..") are the checks on the bytes. A name that passes cannot point outside the directory
 * it is restored into.
 */
public final class PartNames {
    /** Most bytes in a name (the file's path bytes, not the escaped text): PATH_MAX. */
    public static final int MAX_LENGTH = 4096;

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PartNames() {}

    /** Refuses a name that is not a valid part name, saying why; the rule of every part, old or new. */
    public static void check(String name) {
        bytes(name);
    }

    /**
     * {@link #check}, and no component longer than {@link NameLimits#MAX_PART_COMPONENT} bytes: what
     * a new checkpoint may hold (no file system the agent reads has a longer one, so its restore
     * could not create it). Applied at ingest, not at restore, so that an older checkpoint reads as before.
     */
    public static void checkStorable(String name) {
        byte[] b = bytes(name);
        for (int start = 0, i = 0; i <= b.length; i++) {
            if (i == b.length || b[i] == '/') {
                if (i - start > NameLimits.MAX_PART_COMPONENT) {
                    throw new IllegalArgumentException("part name has a component of " + (i - start) + " bytes, longer than "
                            + NameLimits.MAX_PART_COMPONENT + ": " + shortened(name));
                }
                start = i + 1;
            }
        }
    }

    /** The file path bytes that {@code name} stands for, once it has passed {@link #check}. */
    public static byte[] bytes(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty part name");
        }
        byte[] b = decode(name);
        if (b.length > MAX_LENGTH) {
            throw new IllegalArgumentException("part name longer than " + MAX_LENGTH + " bytes: " + shortened(name));
        }
        if (b[0] == '/') {
            throw new IllegalArgumentException("absolute part name not allowed: " + name);
        }
        for (int start = 0, i = 0; i <= b.length; i++) {
            if (i < b.length && b[i] == 0) {
                throw new IllegalArgumentException("part name contains NUL: " + name);
            }
            if (i == b.length || b[i] == '/') {
                int n = i - start;
                if (n == 0 || (b[start] == '.' && (n == 1 || (n == 2 && b[start + 1] == '.')))) {
                    throw new IllegalArgumentException("part name has an empty, '.' or '..' component: " + name);
                }
                start = i + 1;
            }
        }
        if (!encode(b).equals(name)) {
            throw new IllegalArgumentException("part name is not in its one encoding (an escape \\xHH of a byte that needs"
                    + " none, or lower-case hex): " + name);
        }
        return b;
    }

    /**
     * The part name of a relative path given as bytes (a file's name as the file system holds it):
     * UTF-8 as text, a backslash and any byte outside a valid UTF-8 sequence as {@code \xHH}. The
     * result still has to pass {@link #checkStorable}.
     */
    public static String encode(byte[] path) {
        StringBuilder sb = new StringBuilder(path.length);
        int i = 0;
        while (i < path.length) {
            int b = path[i] & 0xff;
            int n = b == '\\' ? 0 : b < 0x80 ? 1 : utf8Length(path, i);
            if (n == 0) {
                sb.append('\\').append('x').append(HEX[b >> 4]).append(HEX[b & 0xf]);
                i++;
            } else {
                sb.append(new String(path, i, n, StandardCharsets.UTF_8));
                i += n;
            }
        }
        return sb.toString();
    }

    /** The bytes of a name's text: UTF-8, with each {@code \xHH} one byte. Not yet checked for canonical form. */
    private static byte[] decode(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(name.length() + 8);
        for (int i = 0; i < name.length(); ) {
            char c = name.charAt(i);
            if (c == '\\') {
                if (i + 3 < name.length() && name.charAt(i + 1) == 'x' && hex(name.charAt(i + 2)) >= 0
                        && hex(name.charAt(i + 3)) >= 0) {
                    out.write(hex(name.charAt(i + 2)) << 4 | hex(name.charAt(i + 3)));
                    i += 4;
                    continue;
                }
                throw new IllegalArgumentException("part name has a backslash that is not an escape \\xHH (a newer"
                        + " encoding, or a damaged name): " + shortened(name));
            }
            int cp = name.codePointAt(i);
            int n = Character.charCount(cp);
            if (Character.isSurrogate(c) && n == 1) {
                throw new IllegalArgumentException("part name holds a lone UTF-16 surrogate: " + shortened(name));
            }
            byte[] utf8 = name.substring(i, i + n).getBytes(StandardCharsets.UTF_8);
            out.write(utf8, 0, utf8.length);
            i += n;
        }
        return out.toByteArray();
    }

    private static int hex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    /** The length of the valid UTF-8 sequence (RFC 3629: shortest form, no surrogates) at {@code b[i]}, or 0. */
    private static int utf8Length(byte[] b, int i) {
        int lead = b[i] & 0xff;
        int n;
        int lo = 0x80;
        int hi = 0xbf;
        if (lead >= 0xc2 && lead <= 0xdf) {
            n = 2;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            n = 3;
            lo = lead == 0xe0 ? 0xa0 : 0x80;
            hi = lead == 0xed ? 0x9f : 0xbf;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            n = 4;
            lo = lead == 0xf0 ? 0x90 : 0x80;
            hi = lead == 0xf4 ? 0x8f : 0xbf;
        } else {
            return 0;
        }
        if (i + n > b.length) {
            return 0;
        }
        int second = b[i + 1] & 0xff;
        if (second < lo || second > hi) {
            return 0;
        }
        for (int k = 2; k < n; k++) {
            int c = b[i + k] & 0xff;
            if (c < 0x80 || c > 0xbf) {
                return 0;
            }
        }
        return n;
    }

    private static String shortened(String name) {
        return name.length() <= 64 ? name : name.substring(0, 64) + "...";
    }
}
