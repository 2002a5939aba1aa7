package io.ckpt.it.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.it.SharedServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Push, list, show and restore of single images through the real CLI against one real server;
 * each test uses its own WPAR names, so they share the server.
 */
public class PushRestoreTest extends SharedServer {
    private static final String T1 = "2025-03-01T10:00:00Z";
    private static final String T2 = "2025-03-01T11:00:00Z";
    private static final String T3 = "2025-03-01T12:00:00Z";

    @Test
    void pushedFileIsListedShownAndRestoredByteIdentical(@TempDir Path dir) throws IOException {
        MemoryImage image = MemoryImage.ofSize(1, 6L << 20);
        Path file = image.writeTo(dir.resolve("web01.img"));
        String sha = Sha256.of(file);

        JsonNode pushed = ckpt.run("push", "--wpar", "web01", "--json", file.toString()).assertOk().json();
        long id = pushed.path("id").asLong();
        assertEquals(file.toFile().length(), pushed.path("logical_bytes").asLong(), pushed::toString);

        JsonNode listed = entry(ckpt.run("list", "--json").assertOk().json(), id);
        assertEquals("web01", listed.path("wpar").asText());
        assertEquals("complete", listed.path("state").asText());
        assertEquals(image.size(), listed.path("logical_bytes").asLong(), listed::toString);
        long stored = listed.path("stored_bytes").asLong();
        assertTrue(stored > 0 && stored < image.size(), "stored_bytes " + stored + " of a compressible image of " + image.size());

        JsonNode shown = ckpt.run("show", "--json", Long.toString(id)).assertOk().json();
        JsonNode part = shown.path("parts").path(0);
        assertEquals(1, shown.path("parts").size(), shown::toString);
        assertEquals("web01.img", part.path("name").asText());
        assertEquals("file", part.path("type").asText());
        assertEquals(image.size(), part.path("size").asLong());
        assertEquals(sha, part.path("sha256").asText(), "the server's SHA-256 of the part");
        String text = ckpt.run("show", Long.toString(id)).assertOk().stdout();
        assertTrue(text.contains("web01") && text.contains("web01.img"), text);

        Path restored = dir.resolve("restored.img");
        ckpt.run("restore", "--wpar", "web01", "--id", Long.toString(id), "--to", restored.toString()).assertOk();
        assertEquals(sha, Sha256.of(restored), "restored bytes");
    }

    @Test
    void latestAndAtPickTheRightOneOfThreeCheckpoints(@TempDir Path dir) throws IOException {
        String[] taken = {T2, T1, T3}; // pushed out of order: selection is by taken_at, not by id
        String[] sha = new String[3];
        for (int i = 0; i < 3; i++) {
            Path f = MemoryImage.ofSize(100 + i, 1L << 20).writeTo(dir.resolve("db01-" + i + ".img"));
            sha[i] = Sha256.of(f);
            ckpt.run("push", "--wpar", "db01", "--taken-at", taken[i], f.toString()).assertOk();
        }
        assertEquals(sha[2], restore(dir, "db01", "--latest"), "--latest is the one taken at " + T3);
        assertEquals(sha[1], restore(dir, "db01", "--at", T1), "--at exactly " + T1);
        assertEquals(sha[1], restore(dir, "db01", "--at", "2025-03-01T10:59:59.999Z"), "--at just before " + T2);
        assertEquals(sha[0], restore(dir, "db01", "--at", "2025-03-01T11:30:00Z"), "--at between " + T2 + " and " + T3);
        assertEquals(sha[0], restore(dir, "db01", "--at", "2025-03-01T12:00:00+01:00"), "--at with an offset (= 11:00Z)");
        assertEquals(sha[2], restore(dir, "db01", "--at", "2030-01-01T00:00:00Z"), "--at after the newest");
    }

    @Test
    void atBeforeTheFirstCheckpointExitsNotFoundNamingTheWpar(@TempDir Path dir) throws IOException {
        Path f = MemoryImage.ofSize(7, 256 << 10).writeTo(dir.resolve("app07.img"));
        ckpt.run("push", "--wpar", "app07", "--taken-at", T1, f.toString()).assertOk();
        Path target = dir.resolve("never.img");

        Cli.Result r = ckpt.run("restore", "--wpar", "app07", "--at", "2025-03-01T09:59:59Z", "--to", target.toString())
                .assertExit(3);

        assertOneLine(r);
        assertTrue(r.stderr().contains("app07"), "names the WPAR: " + r.stderr());
        assertFalse(Files.exists(target), "nothing restored");
    }

    @Test
    void unknownWparOrUnknownIdExitsNotFound(@TempDir Path dir) throws IOException {
        Path f = MemoryImage.ofSize(8, 256 << 10).writeTo(dir.resolve("app08.img"));
        long id = ckpt.run("push", "--wpar", "app08", "--json", f.toString()).assertOk().json().path("id").asLong();
        Path target = dir.resolve("never.img");

        Cli.Result unknownWpar = ckpt.run("restore", "--wpar", "no-such-wpar", "--latest", "--to", target.toString()).assertExit(3);
        assertOneLine(unknownWpar);
        assertTrue(unknownWpar.stderr().contains("no-such-wpar"), unknownWpar.stderr());

        Cli.Result unknownId = ckpt.run("restore", "--wpar", "app08", "--id", Long.toString(id + 1000), "--to", target.toString())
                .assertExit(3);
        assertOneLine(unknownId);
        assertTrue(unknownId.stderr().contains(Long.toString(id + 1000)), unknownId.stderr());

        ckpt.run("show", Long.toString(id + 1000)).assertExit(3);
        assertFalse(Files.exists(target), "nothing restored");
    }

    @Test
    void stdinPushRestoresToStdoutByteIdentical(@TempDir Path dir) throws IOException {
        MemoryImage image = MemoryImage.ofSize(4, 24L << 20);
        Path file = image.writeTo(dir.resolve("stream.img"));
        String sha = Sha256.of(file);

        JsonNode pushed = ckpt.command("push", "--wpar", "pipe04", "--name", "chkptwpar.out", "--json", "-")
                .stdin(file).run().assertOk().json();
        long id = pushed.path("id").asLong();
        assertEquals(image.size(), pushed.path("logical_bytes").asLong(), pushed::toString);
        JsonNode part = ckpt.run("show", "--json", Long.toString(id)).assertOk().json().path("parts").path(0);
        assertEquals("stream", part.path("type").asText(), part::toString);
        assertEquals("chkptwpar.out", part.path("name").asText(), part::toString);

        Sha256.Sink out = new Sha256.Sink();
        ckpt.command("restore", "--wpar", "pipe04", "--id", Long.toString(id), "--to", "-").stdout(out).run().assertOk();
        assertEquals(image.size(), out.count(), "bytes on stdout");
        assertEquals(sha, out.hex(), "stdout bytes");
    }

    @Test
    void restoreOntoAnExistingFileNeedsForceAndIntoADirectoryUsesThePartName(@TempDir Path dir) throws IOException {
        Path file = MemoryImage.ofSize(9, 512 << 10).writeTo(dir.resolve("app09.img"));
        long id = ckpt.run("push", "--wpar", "app09", "--json", file.toString()).assertOk().json().path("id").asLong();
        Path existing = dir.resolve("existing.img");
        Files.writeString(existing, "older restore");

        Cli.Result refused = ckpt.run("restore", "--wpar", "app09", "--id", Long.toString(id), "--to", existing.toString())
                .assertExit(2);
        assertTrue(errorLine(refused).contains("--force"), refused::toString);
        assertEquals("older restore", Files.readString(existing), "left alone without --force");

        ckpt.run("restore", "--wpar", "app09", "--id", Long.toString(id), "--to", existing.toString(), "--force").assertOk();
        assertEquals(Sha256.of(file), Sha256.of(existing), "replaced with --force");

        Path into = Files.createDirectory(dir.resolve("into"));
        ckpt.run("restore", "--wpar", "app09", "--latest", "--to", into.toString()).assertOk();
        assertEquals(Sha256.of(file), Sha256.of(into.resolve("app09.img")), "restored into the directory under its name");
    }

    @Test
    void serverAddressComesFromCkptServerWhenNoOptionGivesIt(@TempDir Path dir) throws IOException {
        Path file = MemoryImage.ofSize(12, 64 << 10).writeTo(dir.resolve("env12.img"));
        long id = Cli.standalone().command("push", "--wpar", "env12", "--json", file.toString())
                .env("CKPT_SERVER", server.address()).run().assertOk().json().path("id").asLong();
        entry(ckpt.run("list", "--json").assertOk().json(), id);
    }

    @Test
    void emptyStdinPushRestoresEmpty() {
        long id = ckpt.command("push", "--wpar", "empty10", "--json", "-").stdin(new byte[0]).run()
                .assertOk().json().path("id").asLong();
        Cli.Result r = ckpt.run("restore", "--wpar", "empty10", "--id", Long.toString(id), "--to", "-").assertOk();
        assertEquals("", r.stdout());
        assertEquals(0, entry(ckpt.run("list", "--json").assertOk().json(), id).path("logical_bytes").asLong());
    }

    @Test
    void invalidWparNameIsRefusedAsBadUsage(@TempDir Path dir) throws IOException {
        Path file = MemoryImage.ofSize(11, 64 << 10).writeTo(dir.resolve("x.img"));
        Cli.Result r = ckpt.run("push", "--wpar", "no spaces/or slashes", file.toString()).assertExit(2);
        assertTrue(errorLine(r).contains("no spaces/or slashes"), r::toString);
        JsonNode all = ckpt.run("list", "--all", "--json").assertOk().json();
        assertFalse(all.path("checkpoints").findValuesAsText("wpar").contains("no spaces/or slashes"), all::toString);
    }

    /** Restores WPAR's checkpoint chosen by {@code which} to a new file and returns its SHA-256. */
    private String restore(Path dir, String wpar, String... which) throws IOException {
        Path target = Files.createTempDirectory(dir, "restore").resolve("image");
        String[] args = new String[5 + which.length];
        args[0] = "restore";
        args[1] = "--wpar";
        args[2] = wpar;
        System.arraycopy(which, 0, args, 3, which.length);
        args[3 + which.length] = "--to";
        args[4 + which.length] = target.toString();
        ckpt.run(args).assertOk();
        return Sha256.of(target);
    }

    public static JsonNode entry(JsonNode list, long id) {
        for (JsonNode c : list.path("checkpoints")) {
            if (c.path("id").asLong() == id) {
                return c;
            }
        }
        throw new AssertionError("checkpoint " + id + " not listed: " + list);
    }

    public static void assertOneLine(Cli.Result r) {
        assertEquals(1, r.stderr().strip().lines().count(), () -> "one line on stderr: " + r);
    }

    /** The one error line ("ckpt: ...") a failed command printed, whatever else it said before. */
    public static String errorLine(Cli.Result r) {
        List<String> errors = r.stderr().lines().filter(l -> l.startsWith("ckpt: ")).toList();
        assertEquals(1, errors.size(), () -> "one error line on stderr: " + r);
        assertTrue(r.stderr().lines().noneMatch(l -> l.startsWith("\tat ")), () -> "no stack trace: " + r);
        return errors.get(0);
    }
}
