package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The toy WPAR "toy" run by agents of several host ids on this machine, for the relocation and
 * PowerHA tests: agent configs (aix preset over the toy's fake commands, a final command that
 * stops it, a restart script that puts the checkpoint's data back, a health check), checkpoints
 * on demand, and checks that the toy runs on from a given checkpoint. The toy's home is shared
 * by all hosts, as a WPAR's file systems are on NFS.
 */
public final class ToyNodes {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final Duration WAIT = Duration.ofSeconds(90);

    private final Path dir;
    public final ToyWparHome toys;

    public ToyNodes(Path dir) throws IOException {
        this.dir = dir;
        this.toys = ToyWparHome.create(dir.resolve("toywpars"), 50);
    }

    /** Asks the agent at {@code control} for a checkpoint of the toy now and returns its id once uploaded. */
    public long checkpointNow(Cli ckpt, AgentProcess agent, int control) {
        int mark = agent.logMark();
        Cli.standalone().run("agent", "checkpoint-now", "toy", "--control", "127.0.0.1:" + control).assertOk();
        var m = agent.awaitLog(mark, Pattern.compile("WPAR toy checkpoint (\\d+) uploaded"), WAIT);
        return Long.parseLong(m.group(1));
    }

    public void assertRunsFrom(long counter) {
        JsonNode s = toys.status("toy");
        assertEquals("running", s.path("state").asText(), s::toString);
        assertEquals(counter, s.path("restored_from_counter").asLong(), "memory restored from the checkpoint: " + s);
        assertEquals(Long.toString(counter), s.path("journal_last_at_start").asText(), "files agree with memory: " + s);
    }

    /** The toy's counter in checkpoint {@code id}, read from its restored statefile. */
    public long counterOf(Cli ckpt, long id) throws IOException {
        Path to = dir.resolve("inspect-" + id);
        ckpt.run("restore", "--wpar", "toy", "--id", Long.toString(id), "--to", to.toString()).assertOk();
        return JSON.readTree(to.resolve("state/meta.json").toFile()).path("counter").asLong();
    }

    /**
     * An agent config for {@code host}: the toy with the aix preset (pause, capture data, resume), a final
     * command that checkpoints and stops it (chkptwpar -k), a restart script that puts the checkpoint's data
     * back and runs restartwpar, and a health check that wants it running.
     */
    public Path agentConfig(ServerProcess server, String host, int control) throws IOException {
        Path restart = script("restart-toy", """
                #!/bin/sh
                set -e
                data="$TOYWPAR_HOME/$3/data"
                rm -rf "$data"
                cp -a "$1/../fs/data" "$data"
                exec %s -d "$1" -o "$2" "$3"
                """.formatted(toys.command("restartwpar")));
        Path health = script("toy-health", """
                #!/bin/sh
                test "$(cat "$TOYWPAR_HOME/$1/run/status" 2>/dev/null)" = running || { echo "toy $1 is not running" >&2; exit 1; }
                """);
        return Files.writeString(dir.resolve("agent-" + host + ".yaml"), """
                server: %s
                host-id: %s
                state-dir: %s
                control: 127.0.0.1:%d
                wpars:
                  - name: toy
                    schedule: { cron: "0 0 1 1 *" }   # only checkpoint-now in this test
                    source:
                      preset: aix
                      command: "%s -p -d {statedir} -o {logfile} {wpar}"
                      paused: true
                      resume-command: "%s {wpar}"
                      final-command: "%s -k -d {statedir} -o {logfile} {wpar}"
                    filesystems:
                      - { name: data, directory: %s }
                    restart: { command: "%s {statedir} {logfile} {wpar}" }
                    stop: { command: "%s {wpar}" }
                    health: { command: "%s {wpar}" }
                """.formatted(server.address(), host, dir.resolve("state-" + host), control, toys.command("chkptwpar"),
                toys.command("resumewpar"), toys.command("chkptwpar"), toys.root("toy").resolve("data"), restart,
                toys.command("stopwpar"), health));
    }

    private Path script(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            Files.writeString(p, text);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return p;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
