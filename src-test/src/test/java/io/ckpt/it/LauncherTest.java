package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which jar bin/ckpt runs: the server jar for {@code ckpt server}, the offline jar for a command
 * with {@code --datastore} (it reads a datastore with the server's classes), the client jar for
 * everything else. Run on a copy of bin/ckpt beside empty jars, with a {@code java} that prints
 * its arguments instead of starting a JVM.
 */
class LauncherTest {
    @TempDir
    Path dir;
    private Path ckpt;

    @BeforeEach
    void copyLauncherBesideEmptyJarsAndAJavaThatPrintsItsArguments() throws IOException {
        Path source = Path.of("..", "bin", "ckpt").toAbsolutePath().normalize();
        if (!Files.isRegularFile(source)) {
            source = Path.of("bin", "ckpt").toAbsolutePath();
        }
        Path tree = dir.resolve("ckpt");
        ckpt = Files.copy(source, Files.createDirectories(tree.resolve("bin")).resolve("ckpt"));
        Files.setPosixFilePermissions(ckpt, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String jar : List.of("server/target/ckpt-server.jar", "agent/target/ckpt-client.jar",
                "offline/target/ckpt-offline.jar")) {
            Files.createDirectories(tree.resolve(jar).getParent());
            Files.createFile(tree.resolve(jar));
        }
        Path java = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in *.jar) echo \"$a\";; esac; done\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void datastoreCommandsRunTheOfflineJarServerTheServerJarAndTheRestTheClientJar() throws Exception {
        assertEquals("offline/target/ckpt-offline.jar", jarOf("restore", "--datastore", "/srv/ckpt", "--wpar", "web01",
                "--latest", "--to", "/tmp/web01"));
        assertEquals("offline/target/ckpt-offline.jar", jarOf("audit", "--datastore=/srv/ckpt", "--action", "prune"));
        assertEquals("agent/target/ckpt-client.jar", jarOf("audit", "--wpar", "web01"));
        assertEquals("agent/target/ckpt-client.jar", jarOf("restore", "--wpar", "web01", "--latest", "--to", "/tmp/w"));
        assertEquals("agent/target/ckpt-client.jar", jarOf("agent", "--config", "/etc/ckpt/agent.yaml"));
        assertEquals("server/target/ckpt-server.jar", jarOf("server", "--datastore", "/srv/ckpt"));
    }

    /** The jar bin/ckpt hands to java for {@code ckpt ARGS}, relative to the tree. */
    private String jarOf(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ckpt.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().put("CKPT_NO_CDS", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor(30, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), () -> "bin/ckpt " + String.join(" ", args) + ": " + out);
        return dir.resolve("ckpt").relativize(Path.of(out)).toString();
    }
}
