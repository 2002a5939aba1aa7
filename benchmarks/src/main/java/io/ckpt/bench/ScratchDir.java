package io.ckpt.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A directory for benchmarks that write files (packs, catalogs, a server's datastore), under
 * {@code $CKPT_BENCH_DIR} when set, else under {@code java.io.tmpdir}. Point it at the disk you
 * want measured: fsync on a tmpfs costs nothing. Forks inherit the environment variable; the
 * system property {@code ckpt.bench.dir}, when set, wins (for benchmarks run in-process, as the
 * smoke test does).
 */
public final class ScratchDir implements AutoCloseable {
    private final Path path;

    private ScratchDir(Path path) {
        this.path = path;
    }

    /** The parent of every scratch directory; also where long-lived fixtures are cached. */
    public static Path root() {
        String dir = System.getProperty("ckpt.bench.dir");
        if (dir == null || dir.isBlank()) {
            dir = System.getenv("CKPT_BENCH_DIR");
        }
        return Paths.get(dir != null && !dir.isBlank() ? dir : System.getProperty("java.io.tmpdir"));
    }

    public static ScratchDir create(String prefix) throws IOException {
        Files.createDirectories(root());
        return new ScratchDir(Files.createTempDirectory(root(), prefix));
    }

    public Path path() {
        return path;
    }

    /** Deletes everything inside the directory, keeping the directory. */
    public void clear() throws IOException {
        deleteTree(path, false);
    }

    @Override
    public void close() throws IOException {
        deleteTree(path, true);
    }

    private static void deleteTree(Path dir, boolean self) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).filter(p -> self || !p.equals(dir)).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException("deleting " + p, e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
