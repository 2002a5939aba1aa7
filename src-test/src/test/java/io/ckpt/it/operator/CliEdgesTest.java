package io.ckpt.it.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.net.ClientException;
import io.ckpt.it.Cli;
import io.ckpt.it.SharedServer;
import io.ckpt.it.restore.PushRestoreTest;
import io.ckpt.testkit.ChildClasspath;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client at its edges (issue 21): names too long for a frame, hostile names on a terminal,
 * arguments out of range, an empty datastore, a file it may not read.
 */
class CliEdgesTest extends SharedServer {
    /** Long enough that a frame cannot carry it (a frame string holds at most 65,535 bytes). */
    private static final String HUGE = "w".repeat(65_536);
    /** A guard against a hang, not a timing assertion: every case here answers in seconds. */
    private static final Duration HANG = Duration.ofSeconds(60);

    @Test
    void pushWithANameTooLongForTheServerExitsTwoNamingTheOptionAndItsLimit(@TempDir Path dir) throws IOException {
        Path img = Files.writeString(dir.resolve("img"), "state\n");
        List<List<String>> cases = List.of(
                List.of("--wpar", HUGE, "64"),
                List.of("--wpar", "web01", "--label", "note=" + HUGE, "256"),
                List.of("--wpar", "web01", "--kind", HUGE, "32"),
                List.of("--wpar", "web01", "--key", HUGE, "128"),
                List.of("--wpar", "web01", "--host-id", HUGE, "256"));
        for (List<String> c : cases) {
            List<String> args = new ArrayList<>(List.of("push"));
            args.addAll(c.subList(0, c.size() - 1));
            args.add(img.toString());
            String option = c.get(c.size() - 3);
            String limit = c.get(c.size() - 1);
            Cli.Result r = ckpt.command(args.toArray(String[]::new)).timeout(HANG).run().assertExit(2);
            PushRestoreTest.assertOneLine(r);
            assertTrue(r.stderr().contains(option) && r.stderr().contains(limit),
                    () -> "names " + option + " and its limit " + limit + ": " + r);
            assertTrue(r.stderr().length() < 400, () -> "does not echo the whole name: " + r);
        }
    }

    @Test
    void aFrameTheEncoderRefusesFailsTheRequestAtOnceWithTheCause() {
        // The CLI checks lengths first; the library must still not hang when a write fails.
        ClientException hello = assertTimeoutPreemptively(HANG,
                () -> assertThrows(ClientException.class, () -> CkptClient.connect(server.address(), HUGE)));
        assertTrue(hello.getMessage().contains("65535"), hello::getMessage);

        ClientException begin = assertTimeoutPreemptively(HANG, () -> {
            try (CkptClient c = CkptClient.connect(server.address(), "edge-host")) {
                return assertThrows(ClientException.class, () -> c.beginUpload(HUGE, 0, "manual", List.of()));
            }
        });
        assertTrue(begin.getMessage().contains("65535") && begin.getMessage().contains("upload start"), begin::getMessage);
    }

    @Test
    void controlCharactersInNamesAreEscapedInEveryTextOutput(@TempDir Path dir) throws IOException {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.writeString(tree.resolve("clear\u001b[2Jscreen"), "a");
        Files.writeString(tree.resolve("two\nlines"), "b");
        String host = "node\u001b]0;pwned\u0007\nforged-line";
        String label = "note=\u009b31mred\u202e";
        JsonNode pushed = ckpt.run("push", "--wpar", "hostile01", "--host-id", host, "--label", label, "--json",
                tree.toString()).assertOk().json();
        long id = pushed.path("id").asLong();

        Cli.Result show = ckpt.run("show", Long.toString(id)).assertOk();
        assertNoControlCharacters(show);
        assertTrue(show.stdout().contains("clear\\x1b[2Jscreen") && show.stdout().contains("two\\nlines"), show::toString);
        assertTrue(show.stdout().contains("node\\x1b]0;pwned\\x07\\nforged-line"), show::toString);
        assertTrue(show.stdout().contains("\\x9b31mred\\u202e"), show::toString);

        Cli.Result list = ckpt.run("list", "--wpar", "hostile01").assertOk();
        assertNoControlCharacters(list);
        assertTrue(list.stdout().contains("\\x9b31mred"), list::toString);

        Cli.Result audit = ckpt.run("audit", "--wpar", "hostile01").assertOk();
        assertNoControlCharacters(audit);
        assertEquals(1, audit.stdout().lines().filter(l -> l.contains("upload.committed")).count(), audit::toString);
        assertFalse(audit.stdout().lines().anyMatch(l -> l.startsWith("forged-line")), audit::toString);

        Cli.Result hosts = ckpt.run("hosts").assertOk();
        assertNoControlCharacters(hosts);

        // An error that quotes a name quotes it escaped too.
        Cli.Result bad = ckpt.run("restore", "--wpar", "bad\u001b[2Jname", "--latest", "--to", dir.resolve("out").toString());
        assertTrue(bad.exitCode() != 0 && bad.stderr().contains("bad\\x1b[2Jname"), bad::toString);
        assertNoControlCharacters(bad);
    }

    @Test
    void restoreAtATimePastAnyRepresentableOneIsBadUsage(@TempDir Path dir) throws IOException {
        Path img = Files.writeString(dir.resolve("img"), "state\n");
        ckpt.run("push", "--wpar", "web01", img.toString()).assertOk();
        for (String at : List.of("+999999999-01-01T00:00:00Z", "-999999999-01-01T00:00:00Z")) {
            Cli.Result r = ckpt.run("restore", "--wpar", "web01", "--at", at, "--to", dir.resolve("out").toString())
                    .assertExit(2);
            PushRestoreTest.assertOneLine(r);
            assertTrue(r.stderr().contains("--at") && !r.stderr().contains("overflow"), r::toString);
        }
        Cli.Result r = ckpt.run("push", "--wpar", "web01", "--taken-at", "+999999999-01-01T00:00:00Z", "-")
                .assertExit(2);
        assertTrue(r.stderr().contains("--taken-at"), r::toString);
    }

    @Test
    void pruneOnAnEmptyDatastoreSaysItHoldsNoWpar(@TempDir Path dir) throws IOException {
        try (ServerProcess empty = ServerProcess.start(dir.resolve("datastore"))) {
            Cli.Result r = Cli.against(empty).run("prune", "--keep-last", "1").assertExit(3);
            PushRestoreTest.assertOneLine(r);
            assertFalse(r.stderr().contains("null"), r::toString);
            assertTrue(r.stderr().contains("no WPAR"), r::toString);
        }
    }

    @Test
    void anUnreadableFileInAPushedTreeSaysPermissionDeniedAndThatNothingWasStored(@TempDir Path dir) throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.writeString(tree.resolve("readable"), "a");
        Path secret = Files.writeString(tree.resolve("secret"), "b");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));

        // root reads any file; without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH it meets the mode like anyone.
        List<String> cmd = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"));
        }
        cmd.addAll(List.of(ServerProcess.javaBinary(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", ChildClasspath.client(), "io.ckpt.cli.CkptMain",
                "push", "--server", server.address(), "--wpar", "unreadable01", tree.toString()));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        assertEquals(1, exit, stderr);
        assertTrue(stderr.contains(secret.toString()) && stderr.contains("permission denied")
                && stderr.contains("nothing stored"), stderr);
        ckpt.run("list", "--wpar", "unreadable01").assertExit(3); // unknown WPAR: no checkpoint of it was ever stored
    }

    private static void assertNoControlCharacters(Cli.Result r) {
        for (String s : List.of(r.stdout(), r.stderr())) {
            s.codePoints().filter(c -> c != '\n' && (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x202e)).findFirst()
                    .ifPresent(c -> {
                        throw new AssertionError("raw control character U+" + Integer.toHexString(c) + " in " + r);
                    });
        }
    }
}
