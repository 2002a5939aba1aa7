package io.ckpt.agent.upload;

import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartNames;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** One part to send, with where its bytes come from (a file, or nothing for directories and links). */
public record PartSource(PartInfo info, Path file, long size) {

    /**
     * Opens the part's bytes; only for FILE parts. A file this process may not read fails the
     * whole upload (a checkpoint with a file missing is not the WPAR's state), and says so.
     */
    public InputStream open() throws IOException {
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw notOpened(info, file, e);
        }
    }

    /**
     * {@code e}, from opening the file of {@code part} to send it (after the walk found it readable),
     * with the cause in words and what became of the upload: NIO's message for EACCES and ENOENT is
     * the bare path. The sender aborts the upload on it, so the server shows nothing of it.
     */
    static IOException notOpened(PartInfo part, Path file, IOException e) {
        String what = " (part '" + part.name() + "') when it was sent; upload aborted, nothing stored";
        java.nio.file.FileSystemException said;
        if (e instanceof AccessDeniedException) {
            said = new AccessDeniedException(file.toString(), null, "permission denied" + what
                    + " (a checkpoint needs every file: make it readable, or leave it out of the tree)");
        } else if (e instanceof NoSuchFileException) {
            said = new NoSuchFileException(file.toString(), null, "no longer exists" + what
                    + " (it was removed after the tree was read: push again)");
        } else {
            return e;
        }
        said.initCause(e);
        return said;
    }

    /** NIO's message for EACCES is the bare path: say what happened and that the checkpoint is not stored. */
    private static AccessDeniedException denied(Path p, AccessDeniedException cause) {
        AccessDeniedException e = new AccessDeniedException(p.toString(), null,
                "permission denied; nothing stored (a checkpoint needs every file: make it readable, or leave it out of the tree)");
        e.initCause(cause);
        return e;
    }

    /**
     * The parts of a single file ({@code prefix + file name}) or of a directory tree (every
     * regular file, directory and symbolic link under it, sorted, names {@code prefix + relative
     * path}). Links are recorded, never followed; other file types are reported to {@code skipped}.
     *
     * @param prefix "" or a name ending in '/', under which the parts are named
     */
    public static List<PartSource> scan(Path root, String prefix, Consumer<Path> skipped) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(root, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(root.toString(), null, "no such file or directory");
        }
        if (attrs.isRegularFile()) {
            if (!Files.isReadable(root)) {
                throw denied(root, new AccessDeniedException(root.toString()));
            }
            return List.of(new PartSource(new PartInfo(storable(root, prefix + PartPaths.fileName(root)), PartType.FILE, FileModes.read(root),
                    attrs.lastModifiedTime().toMillis(), ""), root, attrs.size()));
        }
        if (!attrs.isDirectory()) {
            throw new IOException(root + " is neither a regular file nor a directory");
        }
        List<PartSource> parts = new ArrayList<>();
        if (!prefix.isEmpty()) {
            String dir = prefix.substring(0, prefix.length() - 1);
            parts.add(new PartSource(new PartInfo(dir, PartType.DIRECTORY, FileModes.read(root),
                    attrs.lastModifiedTime().toMillis(), ""), root, 0));
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.filter(p -> !p.equals(root)).sorted().toList();
        } catch (UncheckedIOException e) {
            // A directory that cannot be listed: the walk reports it wrapped.
            if (e.getCause() instanceof AccessDeniedException a) {
                throw denied(Path.of(a.getFile()), a);
            }
            throw e.getCause();
        }
        for (Path p : paths) {
            PartSource part;
            try {
                part = part(p, storable(p, prefix + PartPaths.name(root, p)), skipped);
            } catch (AccessDeniedException e) {
                throw denied(Path.of(e.getFile()), e);
            }
            if (part != null) {
                parts.add(part);
            }
        }
        return parts;
    }

    /**
     * {@code name}, the part name of {@code p}, if a new checkpoint may hold it
     * ({@link PartNames#checkStorable}); else the error names the file and what to do.
     */
    private static String storable(Path p, String name) throws IOException {
        try {
            PartNames.checkStorable(name);
            return name;
        } catch (IllegalArgumentException e) {
            throw new IOException(p + ": " + e.getMessage() + "; nothing stored (rename the file, or leave it out of the tree)", e);
        }
    }

    /**
     * The part for {@code p} under {@code name}, or null when it is skipped. A regular file this
     * process may not read is refused here, before anything is sent, rather than mid-upload.
     */
    private static PartSource part(Path p, String name, Consumer<Path> skipped) throws IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        long mtime = a.lastModifiedTime().toMillis();
        if (a.isSymbolicLink()) {
            return new PartSource(new PartInfo(name, PartType.SYMLINK, 0777, mtime, PartPaths.linkTarget(p)), p, 0);
        }
        if (a.isDirectory()) {
            return new PartSource(new PartInfo(name, PartType.DIRECTORY, FileModes.read(p), mtime, ""), p, 0);
        }
        if (a.isRegularFile()) {
            if (!Files.isReadable(p)) {
                throw new AccessDeniedException(p.toString());
            }
            return new PartSource(new PartInfo(name, PartType.FILE, FileModes.read(p), mtime, ""), p, a.size());
        }
        skipped.accept(p);
        return null;
    }
}
