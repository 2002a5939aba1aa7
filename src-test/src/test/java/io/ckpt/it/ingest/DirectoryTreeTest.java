package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.it.SharedServer;
import io.ckpt.it.restore.PushRestoreTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A statefile directory goes up as a tree and comes back as the same tree: paths, types, bytes, modes, times, links. */
public class DirectoryTreeTest extends SharedServer {
    @Test
    void directoryRestoresAsTheSameTreeWithModesTimesAndLinksNotFollowed(@TempDir Path dir) throws IOException {
        Path src = statefileTree(dir.resolve("state"));
        Map<String, Node> before = snapshot(src);
        long id = ckpt.run("push", "--wpar", "tree01", "--json", src.toString()).assertOk().json().path("id").asLong();

        Path restored = dir.resolve("restored");
        ckpt.run("restore", "--wpar", "tree01", "--id", Long.toString(id), "--to", restored.toString()).assertOk();

        assertEquals(before, snapshot(restored));
        assertTrue(Files.isSymbolicLink(restored.resolve("dangling")), "a dangling link comes back as a link");
        assertEquals(Path.of("missing/target"), Files.readSymbolicLink(restored.resolve("dangling")));
        assertTrue(Files.isSymbolicLink(restored.resolve("etc/current")), "a link to a directory is not followed");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("restored", "state"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no staging directory left beside the restore");
        }
    }

    @Test
    void aThousandSmallFilesRoundTrip(@TempDir Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("many"));
        for (int i = 0; i < 1000; i++) {
            Path sub = Files.createDirectories(src.resolve("d" + i % 10));
            Files.writeString(sub.resolve("f" + i + ".txt"), "small file " + i + "\n".repeat(i % 7));
        }
        Map<String, Node> before = snapshot(src);
        long t0 = System.nanoTime();
        long id = ckpt.run("push", "--wpar", "many01", "--json", src.toString()).assertOk().json().path("id").asLong();
        long t1 = System.nanoTime();
        Path restored = dir.resolve("restored");
        ckpt.run("restore", "--wpar", "many01", "--id", Long.toString(id), "--to", restored.toString()).assertOk();
        System.out.printf("1000 files: push %d ms, restore %d ms%n", (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        assertEquals(before, snapshot(restored));
    }

    @Test
    void directoryCheckpointCannotGoToStdout(@TempDir Path dir) throws IOException {
        Path src = statefileTree(dir.resolve("state"));
        long id = ckpt.run("push", "--wpar", "tree03", "--json", src.toString()).assertOk().json().path("id").asLong();
        Cli.Result r = ckpt.run("restore", "--wpar", "tree03", "--id", Long.toString(id), "--to", "-").assertExit(2);
        assertTrue(PushRestoreTest.errorLine(r).contains("--to DIR"), r::toString);
        assertEquals("", r.stdout());
    }

    @Test
    void restoreIntoAnEmptyExistingDirectoryFillsIt(@TempDir Path dir) throws IOException {
        Path src = statefileTree(dir.resolve("state"));
        long id = ckpt.run("push", "--wpar", "tree04", "--json", src.toString()).assertOk().json().path("id").asLong();
        Path target = Files.createDirectory(dir.resolve("empty-target"));
        ckpt.run("restore", "--wpar", "tree04", "--id", Long.toString(id), "--to", target.toString()).assertOk();
        assertEquals(snapshot(src), snapshot(target));
    }

    @Test
    void restoreIntoNonEmptyDirectoryIsRefusedAndWritesNothing(@TempDir Path dir) throws IOException {
        Path src = statefileTree(dir.resolve("state"));
        long id = ckpt.run("push", "--wpar", "tree02", "--json", src.toString()).assertOk().json().path("id").asLong();
        Path target = Files.createDirectory(dir.resolve("busy"));
        Files.writeString(target.resolve("keep.txt"), "mine");

        Cli.Result r = ckpt.run("restore", "--wpar", "tree02", "--id", Long.toString(id), "--to", target.toString()).assertExit(2);

        String error = PushRestoreTest.errorLine(r);
        assertTrue(error.contains(target.toString()) && error.contains("not empty"), "names the directory: " + error);
        assertEquals(Map.of("keep.txt", new Node("file", "0644", "mine".length(),
                Sha256.of("mine".getBytes(StandardCharsets.UTF_8)), null, snapshot(target).get("keep.txt").mtime())),
                snapshot(target), "the directory is left as it was");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("busy", "state"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "nothing written beside it either");
        }
    }

    /**
     * A statefile-like tree: nested directories, an empty one, an empty file, files with modes
     * 0444, 0600, 0640, 0664 and 0755 and awkward names, a relative link to a file, one to a
     * directory, one up the tree, a dangling one and an absolute one; every file and directory
     * with its own modification time.
     */
    public static Path statefileTree(Path root) throws IOException {
        Files.createDirectories(root);
        file(root.resolve("wpar.conf"), "name=web01\nhostname=web01.example\n".getBytes(StandardCharsets.UTF_8), "rw-r--r--");
        Files.createDirectories(root.resolve("bin"));
        file(root.resolve("bin/restart.sh"), "#!/bin/sh\nexec restartwpar \"$@\"\n".getBytes(StandardCharsets.UTF_8), "rwxr-xr-x");
        Files.createDirectories(root.resolve("keys"));
        file(root.resolve("keys/host.key"), "-----BEGIN KEY-----\nsecret\n".getBytes(StandardCharsets.UTF_8), "rw-------");
        Files.createDirectories(root.resolve("mem/seg/0"));
        try (var in = MemoryImage.ofSize(33, 1L << 20).open()) {
            file(root.resolve("mem/seg/0/heap.img"), in.readAllBytes(), "rw-r-----");
        }
        file(root.resolve("mem/seg/empty.log"), new byte[0], "rw-r--r--");
        Files.createDirectories(root.resolve("etc/conf.d"));
        Files.createDirectories(root.resolve("empty"));
        Files.createSymbolicLink(root.resolve("current.conf"), Path.of("wpar.conf"));
        Files.createSymbolicLink(root.resolve("etc/current"), Path.of("conf.d"));
        Files.createSymbolicLink(root.resolve("mem/seg/0/conf"), Path.of("../../../wpar.conf"));
        Files.createSymbolicLink(root.resolve("dangling"), Path.of("missing/target"));
        Files.createSymbolicLink(root.resolve("etc/absolute"), Path.of("/nonexistent/ckpt-it/absolute-target"));
        file(root.resolve("etc/with space & quote's.conf"), "x=1\n".getBytes(StandardCharsets.UTF_8), "rw-rw-r--");
        file(root.resolve("etc/-leading-dash"), "y=2\n".getBytes(StandardCharsets.UTF_8), "r--r--r--");
        file(root.resolve(".hidden"), "z=3\n".getBytes(StandardCharsets.UTF_8), "rw-r--r--");
        Files.setPosixFilePermissions(root.resolve("keys"), PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(root.resolve("empty"), PosixFilePermissions.fromString("rwxr-x---"));

        // times last, deepest first, so that creating children does not move them again
        long t = Instant.parse("2025-11-02T03:04:05.678Z").toEpochMilli();
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.filter(p -> !p.equals(root)).sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList();
        }
        for (Path p : all) {
            if (!Files.isSymbolicLink(p)) {
                Files.setLastModifiedTime(p, FileTime.fromMillis(t));
                t -= 86_400_000L + 1_001;
            }
        }
        return root;
    }

    private static void file(Path p, byte[] content, String perms) throws IOException {
        Files.write(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }

    /** What a tree entry is, as far as a restore must keep it. Links keep their target; their own times are not compared. */
    public record Node(String type, String mode, long size, String sha256, String target, Long mtime) {}

    /** Relative path → node, for everything under {@code root} (not {@code root} itself), links never followed. */
    public static Map<String, Node> snapshot(Path root) throws IOException {
        Map<String, Node> nodes = new TreeMap<>();
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.filter(p -> !p.equals(root)).toList();
        }
        for (Path p : all) {
            String rel = root.relativize(p).toString();
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            String mode = String.format("%04o", (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
            long mtime = a.lastModifiedTime().toMillis();
            if (a.isSymbolicLink()) {
                nodes.put(rel, new Node("symlink", null, 0, null, Files.readSymbolicLink(p).toString(), null));
            } else if (a.isDirectory()) {
                nodes.put(rel, new Node("directory", mode, 0, null, null, mtime));
            } else {
                nodes.put(rel, new Node("file", mode, a.size(), Sha256.of(p), null, mtime));
            }
        }
        return nodes;
    }
}
