package io.ckpt.agent.upload;

import io.ckpt.protocol.PartNames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Between a file's path and its part name, through the path's bytes (docs/FORMAT.md, "Part names").
 *
 * <p>A {@link Path}'s {@code toString()} decodes the file system's bytes in the JVM's
 * {@code sun.jnu.encoding} (from the locale: UTF-8 in a UTF-8 locale, ASCII in the C locale, and
 * read-only), and replaces whatever does not decode: a name that is not UTF-8 would lose bytes, and
 * two such names could become one. A path the JVM read from a directory keeps its bytes, though,
 * and its {@code file:} URI percent-encodes them exactly (as {@code Path.of(URI)} decodes them
 * back); so names go through URIs here, never through {@code toString()}, whatever the locale.
 */
public final class PartPaths {
    private PartPaths() {}

    /** The part name of {@code p}, a path under the directory {@code root}, relative to it. */
    public static String name(Path root, Path p) throws IOException {
        String base = rawPath(root.toAbsolutePath());
        if (!base.endsWith("/")) {
            base += "/";
        }
        String raw = rawPath(p.toAbsolutePath());
        if (raw.endsWith("/")) {
            raw = raw.substring(0, raw.length() - 1); // a directory's URI ends in '/'
        }
        if (!raw.startsWith(base) || raw.length() == base.length()) {
            throw new IOException("cannot name " + p + " relative to the directory " + root + " (its URI " + raw
                    + " does not lie under " + base + "); nothing stored");
        }
        return PartNames.encode(unescape(raw.substring(base.length())));
    }

    /** The part name of a single file: its file name's bytes. */
    public static String fileName(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        return name(abs.getParent(), abs);
    }

    /** The path of the part named {@code name} under the directory {@code dir}: the name's bytes, exactly. */
    public static Path resolve(Path dir, String name) {
        byte[] rel = PartNames.bytes(name);
        StringBuilder sb = new StringBuilder(rawPath(dir.toAbsolutePath()));
        if (sb.charAt(sb.length() - 1) != '/') {
            sb.append('/');
        }
        for (byte b : rel) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-'
                    || c == '.' || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        try {
            return Path.of(new URI("file://" + sb));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("part name " + name + " makes no file URI under " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The target of the symbolic link {@code link} as text: its bytes read as UTF-8 (in any
     * locale). A target that is not UTF-8 has no text a checkpoint can hold (a link target, unlike
     * a part name, has no escapes: older checkpoints hold backslashes in targets as they are), so
     * it fails, naming the link, rather than be stored with its bytes replaced.
     */
    public static String linkTarget(Path link) throws IOException {
        Path target = Files.readSymbolicLink(link);
        String raw = rawPath(target.isAbsolute() ? target : target.getFileSystem().getPath("/").resolve(target));
        if (raw.length() > 1 && raw.endsWith("/")) {
            raw = raw.substring(0, raw.length() - 1); // added when the path named a directory; a link's own '/' is gone already
        }
        byte[] bytes = unescape(target.isAbsolute() ? raw : raw.substring(1));
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("symbolic link " + link + ": its target " + target + " is not UTF-8 text, which a checkpoint"
                    + " cannot hold; nothing stored (point the link at a UTF-8 name, or leave it out of the tree)");
        }
    }

    private static String rawPath(Path absolute) {
        return absolute.toUri().getRawPath();
    }

    /** The bytes of a URI path: each %HH one byte, every other character (ASCII, as a file URI has it) itself. */
    private static byte[] unescape(String raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                out.write(Character.digit(raw.charAt(i + 1), 16) << 4 | Character.digit(raw.charAt(i + 2), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }
}
