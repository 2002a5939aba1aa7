package io.ckpt.agent.restore;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.upload.FileModes;
import io.ckpt.agent.upload.PartPaths;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartNames;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * Writes a restore into a staging directory beside its target and moves it into place only when
 * every part has arrived and matched its SHA-256, so a failed or interrupted restore leaves
 * nothing that looks complete.
 *
 * <p>Replacing a directory that is not empty ({@code replace}) swaps by renames: the old one to
 * {@code .NAME.ckpt-old}, the staged one to {@code NAME}, then the old one is deleted. An
 * interruption between the two renames leaves no {@code NAME} at all, never a mix; leftover
 * {@code .NAME.ckpt-partial} and {@code .NAME.ckpt-old} are deleted by the next restore there.
 *
 * <p>Part names are checked again here ({@link PartNames}): nothing is written outside the
 * target. A name stands for the file's bytes, which {@link PartPaths} turns into the path (escaped
 * bytes that are not UTF-8 included), not the JVM's locale. Symbolic links are created last, after every file and directory, so that no later part
 * can be written through a link; directory times are set last, deepest first.
 */
public final class TreeWriter implements CkptClient.RestoreReceiver {
    private final Path target;
    private final Path staging;
    private final Path old;
    private final boolean singleFile;
    private final boolean replace;
    private final LongConsumer progress;
    private final MessageDigest sha = ChunkDigest.sha256();
    private final List<PartInfo> links = new ArrayList<>();
    private final List<PartInfo> dirs = new ArrayList<>();
    private PartInfo part;
    private FileChannel file;
    private long written;
    /** Parts the checkpoint has, from the header (-1: not told), and parts received whole. */
    private int expectedParts = -1;
    private int receivedParts;
    private long checkpointId;

    /**
     * @param target the directory to create (tree) or the file to write (single file), as {@link #destination}
     *     chose it
     * @param replace whether a target directory that is not empty is replaced (an existing file always is)
     * @param progress hears the bytes written
     */
    public TreeWriter(Path target, boolean singleFile, boolean replace, LongConsumer progress) throws IOException {
        this.target = target.toAbsolutePath().normalize();
        this.singleFile = singleFile;
        this.replace = replace;
        this.progress = progress;
        Path parent = this.target.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new RestoreException(RestoreException.Kind.BAD_TARGET, "cannot restore to " + target
                    + ": its parent directory does not exist");
        }
        this.staging = parent.resolve("." + this.target.getFileName() + ".ckpt-partial");
        this.old = parent.resolve("." + this.target.getFileName() + ".ckpt-old");
        deleteTree(staging);
        deleteTree(old);
        if (!singleFile) {
            Files.createDirectory(staging);
        }
    }

    /**
     * Where a restore to {@code to} goes, refused if it would overwrite something without {@code force}: a
     * single-file checkpoint ({@code singleName} its part's name) goes to the file {@code to}, or into {@code to}
     * when that is a directory; a tree becomes the directory {@code to}, which must not exist or be empty.
     */
    public static Path destination(Path to, String singleName, boolean force) throws IOException {
        if (singleName != null) {
            if (Files.isDirectory(to)) {
                to = PartPaths.resolve(to, singleName.substring(singleName.lastIndexOf('/') + 1));
            }
            if (Files.exists(to, LinkOption.NOFOLLOW_LINKS) && !force) {
                throw new RestoreException(RestoreException.Kind.BAD_TARGET, to
                        + " exists; give --force to overwrite it, or another --to");
            }
            if (Files.isDirectory(to, LinkOption.NOFOLLOW_LINKS)) {
                throw new RestoreException(RestoreException.Kind.BAD_TARGET, to + " is a directory");
            }
            return to; // an existing file is replaced only once the restore has fully arrived
        }
        if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(to, LinkOption.NOFOLLOW_LINKS)) {
                throw new RestoreException(RestoreException.Kind.BAD_TARGET, to + " exists and is not a directory");
            }
            if (!force && !isEmpty(to)) {
                throw new RestoreException(RestoreException.Kind.BAD_TARGET, "restore directory " + to
                        + " is not empty; give a new or empty directory, or --force to replace it and everything in it");
            }
        }
        return to;
    }

    /** Removes {@code root} and everything in it, if it can. */
    static void deleteQuietly(Path root) {
        try {
            deleteTree(root);
        } catch (IOException e) {
            // best effort
        }
    }

    static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    @Override
    public void header(JsonNode checkpoint) {
        // The command printed what it restores before asking; kept here: how many parts must arrive.
        expectedParts = checkpoint.path("parts").asInt(-1);
        checkpointId = checkpoint.path("id").asLong(0);
    }

    @Override
    public void beginPart(PartInfo p) throws IOException {
        PartNames.check(p.name());
        part = p;
        sha.reset();
        written = 0;
        if (singleFile) {
            if (!p.type().hasData()) {
                throw new RestoreException(RestoreException.Kind.BAD_TARGET, "checkpoint holds a " + p.type()
                        + " part; restore it to a directory");
            }
            file = FileChannel.open(staging, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return;
        }
        Path dest = resolve(p.name());
        switch (p.type()) {
            case DIRECTORY -> {
                Files.createDirectories(dest);
                dirs.add(p);
            }
            case SYMLINK -> links.add(p);
            case FILE, STREAM -> {
                Files.createDirectories(dest.getParent());
                file = FileChannel.open(dest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            }
        }
    }

    @Override
    public void data(ByteBuffer bytes) throws IOException {
        if (file == null) {
            throw new RestoreException(RestoreException.Kind.DAMAGED, "server sent data outside a file part");
        }
        int n = bytes.remaining();
        sha.update(bytes.duplicate());
        while (bytes.hasRemaining()) {
            file.write(bytes);
        }
        written += n;
        progress.accept(n);
    }

    @Override
    public void endPart(long length, byte[] sha256) throws IOException {
        byte[] actual = sha.digest();
        if (part.type().hasData()) {
            file.force(false);
            file.close();
            file = null;
            if (written != length || !Arrays.equals(actual, sha256)) {
                throw new RestoreException(RestoreException.Kind.DAMAGED, "part '" + part.name() + "' arrived damaged (" + written
                        + " bytes, SHA-256 mismatch with the server's); nothing was restored");
            }
            Path dest = singleFile ? staging : resolve(part.name());
            FileModes.apply(dest, part.mode());
            Files.setLastModifiedTime(dest, FileTime.fromMillis(part.mtimeMillis()));
        }
        part = null;
        receivedParts++;
    }

    /** Creates the links, sets directory modes and times, and moves the result to its target. */
    public void finish() throws IOException {
        if (expectedParts >= 0 && receivedParts != expectedParts) {
            throw new RestoreException(RestoreException.Kind.DAMAGED, "restore of checkpoint " + checkpointId + " ended after "
                    + receivedParts + " of the " + expectedParts + " parts it has; nothing was restored");
        }
        if (!singleFile) {
            for (PartInfo l : links) {
                Path dest = resolve(l.name());
                Files.createDirectories(dest.getParent());
                try {
                    Files.createSymbolicLink(dest, Path.of(l.linkTarget()));
                } catch (FileAlreadyExistsException e) {
                    throw new RestoreException(RestoreException.Kind.DAMAGED, "checkpoint names '" + l.name()
                            + "' both as a symbolic link and as a file or directory (or under it); refusing to write through the link");
                }
                try {
                    Files.getFileAttributeView(dest, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .setTimes(FileTime.fromMillis(l.mtimeMillis()), null, null);
                } catch (IOException | UnsupportedOperationException e) {
                    // Link times cannot be set on every platform; the link itself is what matters.
                }
            }
            dirs.sort(Comparator.comparingInt((PartInfo d) -> d.name().length()).reversed());
            for (PartInfo d : dirs) {
                Path dest = resolve(d.name());
                FileModes.apply(dest, d.mode());
                Files.setLastModifiedTime(dest, FileTime.fromMillis(d.mtimeMillis()));
            }
        }
        if (!singleFile) {
            // Every directory, not only the top one: a file's name is durable only once the
            // directory holding it is fsynced, and the rename below makes the tree the restore.
            try (Stream<Path> walk = Files.walk(staging)) {
                for (Path d : walk.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                    fsync(d);
                }
            }
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            if (isEmpty(target)) {
                Files.delete(target);
            } else if (replace) {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            } else {
                throw new RestoreException(RestoreException.Kind.BAD_TARGET, "restore directory " + target
                        + " is no longer empty; nothing was replaced");
            }
        }
        // rename(2) replaces an existing file (--force) atomically: never a moment without one
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        fsync(target.getParent());
        try {
            deleteTree(old);
        } catch (IOException e) {
            // the restore is in place; the next restore here deletes what is left of the old one
        }
    }

    /** Makes a directory's entries durable; not every platform lets a directory be opened for that. */
    private static void fsync(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the renames are atomic either way
        }
    }

    /** Removes whatever the failed restore wrote. */
    public void discard() {
        try {
            if (file != null) {
                file.close();
            }
            deleteTree(staging);
        } catch (IOException ignored) {
            // best effort: the staging name is never mistaken for a restore
        }
    }

    /**
     * The path of part {@code name} in the staging tree, refused when it would leave the tree or
     * lie under a symbolic link (a link part "a" and a part "a/x" would write through the link).
     */
    private Path resolve(String name) throws IOException {
        Path p = PartPaths.resolve(staging, name).normalize(); // the name's bytes, whatever the JVM's locale
        if (!p.startsWith(staging) || p.equals(staging)) {
            throw new RestoreException(RestoreException.Kind.DAMAGED, "part name '" + name
                    + "' points outside the restore directory");
        }
        for (Path q = p.getParent(); q != null && !q.equals(staging); q = q.getParent()) {
            if (Files.isSymbolicLink(q)) {
                throw new RestoreException(RestoreException.Kind.DAMAGED, "part '" + name + "' lies under the symbolic link '"
                        + staging.relativize(q) + "'; refusing to write through it");
            }
        }
        return p;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
