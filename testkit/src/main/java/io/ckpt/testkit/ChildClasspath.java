package io.ckpt.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The class paths the child processes run with. Two of them:
 * <ul>
 *   <li>{@link #get()}, the test's own: every module (server, agent, offline) and every library.
 *       The server runs with it, and so does the CLI where bin/ckpt runs the offline jar
 *       ({@code --datastore}: src-test's Cli).
 *   <li>{@link #client()}, what agent/target/ckpt-client.jar holds: the agent module's classes and
 *       its runtime dependencies as Maven resolved them (agent/target/client-classpath.txt, written
 *       by the agent's build), no server class. The CLI and the agent run with it, so the suite
 *       proves they work without the server.
 * </ul>
 * This project's classes (target/classes directories and ckpt-* jars) are copied once to a
 * private directory first: builds in the same tree recompile or clean those while the suite
 * runs, and the child processes must not see classes vanish or change under them.
 */
public final class ChildClasspath {
    /** Where the agent's build wrote the client's class path (set by src-test/pom.xml). */
    public static final String CLIENT_FILE_PROPERTY = "ckpt.client.classpath";
    private static final Path COPIES = copiesDir();
    /** Original entry -> its private copy (or itself: a library jar in the Maven repository). */
    private static final Map<String, String> COPIED = new HashMap<>();

    private ChildClasspath() {}

    /** Everything: the server's class path, and the offline jar's. */
    public static String get() {
        return All.CLASSPATH;
    }

    /** The client jar's class path: agent, protocol and their libraries, without the server. */
    public static String client() {
        return Client.CLASSPATH;
    }

    /** The client's class path entries as the agent's build listed them (not the copies). */
    public static List<Path> clientEntries() {
        String file = System.getProperty(CLIENT_FILE_PROPERTY);
        if (file == null) {
            throw new IllegalStateException("system property " + CLIENT_FILE_PROPERTY + " is not set: run the tests"
                    + " with Maven (src-test/pom.xml sets it to agent/target/client-classpath.txt)");
        }
        try {
            String text = Files.readString(Path.of(file)).strip();
            List<Path> entries = new ArrayList<>();
            for (String e : text.split(File.pathSeparator)) {
                if (!e.isEmpty()) {
                    entries.add(Path.of(e));
                }
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the client's class path " + file + ", which the agent's build"
                    + " writes (mvn -pl src-test -am test builds it)", e);
        }
    }

    private static final class All {
        public static final String CLASSPATH = snapshot(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
    }

    private static final class Client {
        public static final String CLASSPATH = snapshot(clientEntries().stream().map(Path::toString).toList());
    }

    private static synchronized String snapshot(List<String> classpath) {
        List<String> entries = new ArrayList<>();
        for (String entry : classpath) {
            if (!entry.isEmpty()) {
                entries.add(COPIED.computeIfAbsent(entry, ChildClasspath::copy));
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String copy(String entry) {
        try {
            Path p = Path.of(entry);
            Path copy = COPIES.resolve(COPIED.size() + "-" + p.getFileName());
            if (Files.isDirectory(p)) {
                copyTree(p, copy);
                return copy.toString();
            } else if (Files.isRegularFile(p) && p.getFileName().toString().startsWith("ckpt-")) {
                Files.copy(p, copy);
                return copy.toString();
            }
            return entry;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the class path entry " + entry + " for the child processes", e);
        }
    }

    private static Path copiesDir() {
        try {
            Path dir = Files.createTempDirectory("ckpt-it-classpath");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "delete-classpath-copy"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a directory for the child processes' class path", e);
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
