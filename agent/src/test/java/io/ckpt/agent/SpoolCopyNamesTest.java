package io.ckpt.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory source is copied into the spool under its files' own names, byte for byte, whatever
 * the JVM's locale makes of them as text (issue 21, item 6): a name that is not UTF-8 used to come
 * out with U+FFFD in it, and two such names as one.
 */
class SpoolCopyNamesTest {
    @Test
    void copyTreeKeepsNamesThatAreNotUtf8AndBackslashes(@TempDir Path dir) throws IOException {
        Path from = Files.createDirectories(dir.resolve("from"));
        Files.writeString(child(from, new byte[] {'a', (byte) 0xff}), "one");
        Files.writeString(child(from, new byte[] {'a', (byte) 0xfe}), "two");
        Path sub = Files.createDirectories(child(from, new byte[] {'d', '\\', (byte) 0x80}));
        Files.writeString(child(sub, new byte[] {'\n', (byte) 0xc3}), "three");

        Path to = dir.resolve("to");
        CheckpointTaker.copyTree(from, to);
        assertEquals(rawNames(from), rawNames(to));
        assertEquals("two", Files.readString(child(to, new byte[] {'a', (byte) 0xfe})));
    }

    /** The relative paths under {@code root} as their file URIs spell them: every byte, escaped. */
    private static List<String> rawNames(Path root) throws IOException {
        int base = root.toUri().getRawPath().length();
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> p.toUri().getRawPath().substring(base)).sorted().toList();
        }
    }

    private static Path child(Path dir, byte[] name) {
        StringBuilder sb = new StringBuilder(dir.toUri().getRawPath());
        for (byte b : name) {
            sb.append('%').append(String.format("%02X", b & 0xff));
        }
        return Path.of(URI.create("file://" + sb));
    }
}
