package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.testkit.ChildClasspath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client (agent/target/ckpt-client.jar, and the class path the suite runs the CLI and the
 * agent with) holds what a WPAR host needs and nothing of the server: no server, catalog, SQLite,
 * Micrometer or Bouncy Castle class, under 10 MB (issue 14, "Agent and CLI free of server code").
 * The commands that read a datastore without a server live in the offline jar; run from the bare
 * client they say so (docs/ARCHITECTURE.md, "Modules and packages").
 */
class ClientClasspathTest {
    /** Class and resource prefixes that belong to the server side only. */
    private static final List<String> SERVER_ONLY =
            List.of("io/ckpt/server/", "io/ckpt/catalog/", "org/sqlite/", "io/micrometer/", "org/bouncycastle/");
    private static final long MAX_BYTES = 10_000_000;

    @Test
    void clientClasspathHoldsNoServerSqliteMicrometerOrBouncyCastleClassAndWeighsUnderTenMegabytes() throws IOException {
        TreeSet<String> serverSide = new TreeSet<>();
        long bytes = 0;
        List<String> names = new ArrayList<>();
        for (Path entry : ChildClasspath.clientEntries()) {
            names.clear();
            bytes += list(entry, names);
            for (String name : names) {
                for (String prefix : SERVER_ONLY) {
                    if (name.startsWith(prefix)) {
                        serverSide.add(entry.getFileName() + ": " + prefix + "...");
                    }
                }
            }
        }
        assertEquals(new TreeSet<>(), serverSide, "server-side classes on the client's class path");
        assertTrue(bytes < MAX_BYTES, "the client's class path weighs " + bytes + " bytes, over " + MAX_BYTES + ": "
                + ChildClasspath.clientEntries());
        String all = ChildClasspath.clientEntries().toString();
        assertTrue(all.contains("agent") && all.contains("picocli"), "the client's class path has the CLI: " + all);
    }

    @Test
    void bareClientRefusesDatastoreCommandsNamingTheOfflineJar(@TempDir Path dir) {
        Cli bare = Cli.standalone().clientJarOnly();
        Cli.Result restore = bare.run("restore", "--datastore", dir.toString(), "--wpar", "web01", "--latest", "--to",
                dir.resolve("out").toString()).assertExit(2);
        assertTrue(restore.stderr().contains("ckpt-offline.jar") && restore.stderr().contains("bin/ckpt"),
                restore::toString);
        Cli.Result audit = bare.run("audit", "--datastore", dir.toString()).assertExit(2);
        assertTrue(audit.stderr().contains("ckpt-offline.jar") && audit.stderr().contains("bin/ckpt"), audit::toString);
        assertEquals(1, audit.stderr().strip().lines().count(), "one line: " + audit);
    }

    /** Adds the class and resource names in a jar or classes directory to {@code names}; returns its size in bytes. */
    private static long list(Path entry, List<String> names) throws IOException {
        if (Files.isDirectory(entry)) {
            long bytes = 0;
            try (Stream<Path> walk = Files.walk(entry)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    names.add(entry.relativize(p).toString().replace('\\', '/'));
                    bytes += Files.size(p);
                }
            }
            return bytes;
        }
        try (ZipFile jar = new ZipFile(entry.toFile())) {
            jar.stream().map(ZipEntry::getName).forEach(names::add);
        }
        return Files.size(entry);
    }
}
