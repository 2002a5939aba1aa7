package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.it.AgentProcess;
import io.ckpt.it.Cli;
import io.ckpt.it.SharedServer;
import io.ckpt.it.ToyNodes;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Any file a WPAR can hold comes back under its own name, byte for byte: backslashes, newlines,
 * tabs, bytes that are not UTF-8, leading dashes, 255-byte components (ASCII and multi-byte),
 * in delta and stream mode, and whatever locale the client's JVM runs in (issue 21, item 6).
 * Names are compared as the file system's bytes, never as Java strings (which would hide a lost byte).
 */
class PartNameEncodingTest extends SharedServer {

    /**
     * Delta mode in the UTF-8 locale; stream mode in the C locale, where the JVM's own name
     * encoding (sun.jnu.encoding, read-only) is ASCII and a Path's text loses every other byte.
     */
    @ParameterizedTest(name = "--mode {0}, LC_ALL={1}")
    @CsvSource({"delta, C.UTF-8", "stream, C"})
    void oddFileNamesRoundTripByteForByte(String mode, String locale, @TempDir Path dir) throws IOException {
        Path src = oddTree(dir.resolve("odd"));
        Map<String, String> before = snapshot(src);
        String wpar = "names-" + mode;
        long id = ckpt.command("push", "--wpar", wpar, "--mode", mode, "--json", src.toString()).env("LC_ALL", locale)
                .run().assertOk().json().path("id").asLong();

        Path restored = dir.resolve("restored");
        ckpt.command("restore", "--wpar", wpar, "--id", Long.toString(id), "--to", restored.toString()).env("LC_ALL", locale)
                .run().assertOk();
        assertEquals(before, snapshot(restored));
    }

    /**
     * The agent's directory source copies the tree into its spool and uploads it from there; the
     * checkpoint restores with every name's bytes under state/ (as restore --start writes it).
     */
    @Test
    void theAgentsDirectorySourceSpoolsAndUploadsOddNamesByteForByte(@TempDir Path dir) throws Exception {
        Path src = oddTree(dir.resolve("app"));
        Path config = Files.writeString(dir.resolve("agent.yaml"), """
                server: %s
                host-id: it-names
                state-dir: %s
                control: 127.0.0.1:%d
                defaults:
                  schedule: { interval: 1h }
                wpars:
                  - name: names-agent
                    source: { preset: directory, path: %s }
                """.formatted(server.address(), dir.resolve("state"), ToyNodes.freePort(), src));
        try (AgentProcess agent = AgentProcess.start(config, Map.of("LC_ALL", "C"))) {
            agent.awaitLog(Pattern.compile("WPAR names-agent checkpoint \\d+ uploaded"), Duration.ofSeconds(90));
        }
        Path restored = dir.resolve("restored");
        ckpt.run("restore", "--wpar", "names-agent", "--latest", "--to", restored.toString()).assertOk();
        assertEquals(snapshot(src), snapshot(restored.resolve("state")));
    }

    /** Without a backslash the old rule let the push through and named the files with U+FFFD instead of their bytes. */
    @Test
    void namesThatAreNotUtf8ComeBackUnderTheirBytesNotAsReplacementCharacters(@TempDir Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("latin1"));
        Files.writeString(file(src, new byte[] {(byte) 0xe9, 't', (byte) 0xe9}), "summer");
        Files.writeString(file(Files.createDirectories(file(src, new byte[] {'d', (byte) 0x80})), bytes("f")), "in d");
        Map<String, String> before = snapshot(src);
        long id = ckpt.run("push", "--wpar", "names-latin1", "--json", src.toString()).assertOk().json().path("id").asLong();
        Path restored = dir.resolve("restored");
        ckpt.run("restore", "--wpar", "names-latin1", "--id", Long.toString(id), "--to", restored.toString()).assertOk();
        assertEquals(before, snapshot(restored));
    }

    /** A part's name as the server shows it: UTF-8 text, a backslash and a non-UTF-8 byte escaped as \xHH. */
    @Test
    void showListsTheEscapedNames(@TempDir Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("few"));
        Files.writeString(file(src, bytes("back\\slash")), "b");
        Files.writeString(file(src, new byte[] {'a', (byte) 0xff, (byte) 0xfe, 'b'}), "x");
        Files.writeString(file(src, bytes("été")), "e");
        long id = ckpt.run("push", "--wpar", "names-show", "--json", src.toString()).assertOk().json().path("id").asLong();
        String parts = ckpt.run("show", Long.toString(id), "--json").assertOk().json()
                .path("parts").toString();
        assertTrue(parts.contains("\"a\\\\xFF\\\\xFEb\""), parts);
        assertTrue(parts.contains("\"back\\\\x5Cslash\""), parts);
        assertTrue(parts.contains("\"été\""), parts);
    }

    /**
     * No file system the agent reads holds a component over NAME_MAX (255 bytes), and a restore could
     * not create one: the server refuses it in a new checkpoint (a stream's --name here), in bytes, not characters.
     */
    @Test
    void aComponentOver255BytesIsRefusedAtIngest() {
        String longest = "é".repeat(127) + "x"; // 255 bytes
        ckpt.command("push", "--wpar", "names-long", "--name", "dir/" + longest, "-").stdin(new byte[] {1, 2, 3})
                .run().assertOk();
        String over = "é".repeat(128); // 256 bytes, 128 characters
        Cli.Result r = ckpt.command("push", "--wpar", "names-long", "--name", "dir/" + over, "-").stdin(new byte[] {1, 2, 3})
                .run().assertExit(2);
        assertTrue(r.stderr().contains("part name has a component of 256 bytes, longer than 255"), r::toString);
        assertEquals(1, ckpt.run("list", "--wpar", "names-long", "--json").assertOk().json().path("checkpoints").size());
    }

    /** A link whose target is not UTF-8 has no text to be stored as: the push says so and stores nothing. */
    @Test
    void aLinkTargetThatIsNotUtf8FailsThePushNamingTheLink(@TempDir Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("links"));
        Files.writeString(src.resolve("ok"), "ok");
        Path link = file(src, bytes("odd-link"));
        Files.createSymbolicLink(link, file(dir, new byte[] {'t', (byte) 0xff}).getFileName());
        Cli.Result r = ckpt.run("push", "--wpar", "names-link", src.toString()).assertExit(1);
        assertTrue(r.stderr().contains("symbolic link " + link + ": its target") && r.stderr().contains("is not UTF-8 text")
                && r.stderr().contains("nothing stored"), r::toString);
        ckpt.run("list", "--wpar", "names-link").assertExit(3); // no checkpoint was ever stored for it
    }

    /** Every odd name, as files, a directory of them, and a link, beside a file named with the replacement character. */
    static Path oddTree(Path root) throws IOException {
        Files.createDirectories(root);
        byte[][] names = {
            bytes("back\\slash"), bytes("..\\..\\windows"), bytes("new\nline"), bytes("tab\there"), bytes("cr\rx\u001b[31m"),
            {'a', (byte) 0xff, (byte) 0xfe, 'b'}, {(byte) 0xc3, '('}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            {(byte) 0xe9, 't', (byte) 0xe9}, bytes("\uFFFD"), bytes("-rf"), bytes("--help"), bytes("-"),
            bytes("100%.txt"), bytes("%FF"), bytes("\\x41"), bytes("x".repeat(255)),
            bytes("é".repeat(127) + "x"), bytes("日本".repeat(42) + "語"), bytes(" lead and trail "),
        };
        int n = 0;
        for (byte[] name : names) {
            Files.writeString(file(root, name), "file " + n++ + "\n");
        }
        Path dir = Files.createDirectories(file(root, new byte[] {'d', (byte) 0x80, '\\'}));
        Files.writeString(file(dir, new byte[] {(byte) 0xff}), "inside");
        Files.writeString(file(dir, bytes("\t-x\\y")), "inside too");
        Files.createSymbolicLink(file(root, bytes("link\\to\n")), Path.of("back\\slash"));
        return root;
    }

    /** Path, type, bytes and link target of everything under {@code root}, keyed by the path's bytes in hex. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        String base = root.toAbsolutePath().toUri().getRawPath();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(p -> !p.equals(root)).toList()) {
                String raw = p.toAbsolutePath().toUri().getRawPath().substring(base.length());
                if (raw.endsWith("/")) {
                    raw = raw.substring(0, raw.length() - 1);
                }
                String what = Files.isSymbolicLink(p) ? "link -> " + Files.readSymbolicLink(p)
                        : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir" : "file " + Files.readString(p);
                m.put(raw, what);
            }
        }
        return m;
    }

    /** The child of {@code dir} named by these exact bytes (a String cannot hold every name; a URI's escapes can). */
    static Path file(Path dir, byte[] name) {
        StringBuilder sb = new StringBuilder(dir.toAbsolutePath().toUri().getRawPath());
        if (sb.charAt(sb.length() - 1) != '/') {
            sb.append('/');
        }
        for (byte b : name) {
            sb.append('%').append(String.format("%02X", b & 0xff));
        }
        return Path.of(URI.create("file://" + sb));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
