package io.ckpt.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The class path the server and client processes run with: the test's own, except that this
 * project's classes (target/classes directories and ckpt-* jars) are copied once to a private
 * directory first. Builds in the same tree recompile or clean those while the suite runs; the
 * child processes must not see classes vanish or change under them.
 */
final class ChildClasspath {
    private static final String CLASSPATH = snapshot();

    private ChildClasspath() {}

    static String get() {
        return CLASSPATH;
    }

    private static String snapshot() {
        try {
            Path dir = Files.createTempDirectory("ckpt-it-classpath");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "delete-classpath-copy"));
            List<String> entries = new ArrayList<>();
            int n = 0;
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                if (entry.isEmpty()) {
                    continue;
                }
                Path p = Path.of(entry);
                Path copy = dir.resolve(n++ + "-" + p.getFileName());
                if (Files.isDirectory(p)) {
                    copyTree(p, copy);
                    entries.add(copy.toString());
                } else if (Files.isRegularFile(p) && p.getFileName().toString().startsWith("ckpt-")) {
                    Files.copy(p, copy);
                    entries.add(copy.toString());
                } else {
                    entries.add(entry);
                }
            }
            return String.join(File.pathSeparator, entries);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the class path for the child processes", e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> all;
        try (Stream<Path> walk = Files.walk(from)) {
            all = walk.toList();
        }
        for (Path p : all) {
            Path target = to.resolve(from.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(target);
            } else {
                Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temp directory: the OS cleans it eventually
        }
    }
}
