package io.ckpt.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.AgentProcess;
import io.ckpt.it.Cli;
import io.ckpt.it.ToyNodes;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One checkpoint run per WPAR at a time, the final one included (issue 20, defect 5): a final
 * checkpoint asked for while a scheduled one runs waits for it, then runs; the two commands never
 * overlap. Each checkpoint command takes a marker directory with mkdir (atomic) and records an
 * overlap when it is already there, so the commands themselves detect two runs at once.
 */
class FinalCheckpointExclusionTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void finalCheckpointWaitsForTheRunningScheduledOneAndNeverOverlapsIt(@TempDir Path dir) throws Exception {
        Path marks = Files.createDirectories(dir.resolve("marks"));
        Path script = Files.writeString(dir.resolve("take.sh"), """
                #!/bin/sh
                # $1: statedir, $2: kind (scheduled or final), $3: seconds to run
                mkdir "%1$s/running" 2>/dev/null || touch "%1$s/overlap-$2"
                head -c 4096 /dev/urandom > "$1/image"
                sleep "$3"
                touch "%1$s/done-$2"
                rmdir "%1$s/running" 2>/dev/null
                exit 0
                """.formatted(marks));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server);
            int control = ToyNodes.freePort();
            Path config = Files.writeString(dir.resolve("agent.yaml"), """
                    server: %s
                    host-id: it-final
                    state-dir: %s
                    control: 127.0.0.1:%d
                    wpars:
                      - name: app1
                        schedule: { cron: "0 0 1 1 *" }
                        source:
                          preset: command
                          command: "%s {statedir} scheduled 5"
                          final-command: "%s {statedir} final 0"
                    """.formatted(server.address(), dir.resolve("state"), control, script, script));
            try (AgentProcess agent = AgentProcess.start(config, Map.of())) {
                Cli.standalone().run("agent", "checkpoint-now", "app1", "--control", "127.0.0.1:" + control).assertOk();
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (!Files.isDirectory(marks.resolve("running"))) {
                    assertTrue(System.nanoTime() < deadline, "the scheduled checkpoint did not start; agent log:\n" + agent.log());
                    Thread.sleep(20);
                }
                // The scheduled command runs now (for 5 s): ask for the final checkpoint.
                Cli.Result fin = Cli.standalone().run("agent", "final-checkpoint", "app1", "--control", "127.0.0.1:" + control);
                fin.assertOk();
                assertFalse(Files.exists(marks.resolve("overlap-final")),
                        "the final checkpoint ran while the scheduled one was running; agent log:\n" + agent.log());
                assertTrue(Files.exists(marks.resolve("done-scheduled")) && Files.exists(marks.resolve("done-final")),
                        "both ran to the end; agent log:\n" + agent.log());
                agent.awaitLog(Pattern.compile("WPAR app1 checkpoint taken in \\d+ ms"), WAIT);
                JsonNode list = ckpt.run("list", "--wpar", "app1", "--json").assertOk().json().path("checkpoints");
                JsonNode last = list.get(list.size() - 1);
                assertEquals("final", last.path("kind").asText(), "the final checkpoint is the newest: " + list);
                agent.stop();
            }
        }
    }
}
