package io.ckpt.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.AgentProcess;
import io.ckpt.it.Cli;
import io.ckpt.testkit.ServerProcess;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stdout and directory presets through a real agent and server, and SIGHUP: a broken new
 * config is refused and the running one goes on; a good one takes effect.
 */
class AgentPresetsTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void stdoutAndDirectoryPresetsUploadTheirPartsAndSighupReloadsOnlyAValidConfig(@TempDir Path dir) throws Exception {
        Path tree = Files.createDirectories(dir.resolve("app/conf"));
        Files.writeString(tree.resolve("app.cfg"), "threads=8\n");
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server);
            int control = freePort();
            String base = """
                    server: %s
                    host-id: it-presets
                    state-dir: %s
                    control: 127.0.0.1:%d
                    defaults:
                      schedule: { interval: 2s }
                    wpars:
                      - name: str1
                        source: { preset: stdout, command: "sh -c 'head -c 200000 /dev/zero; echo end'" }
                        filesystems:
                          - { name: root, command: "sh -c 'echo fs-bytes'" }
                      - name: dir1
                        source: { preset: directory, path: %s }
                    """.formatted(server.address(), dir.resolve("state"), control, dir.resolve("app"));
            Path config = Files.writeString(dir.resolve("agent.yaml"), base);
            try (AgentProcess agent = AgentProcess.start(config, Map.of())) {
                agent.awaitLog(Pattern.compile("WPAR str1 checkpoint \\d+ streamed"), WAIT);
                agent.awaitLog(Pattern.compile("WPAR dir1 checkpoint \\d+ uploaded"), WAIT);

                long str = latest(ckpt, "str1");
                JsonNode parts = ckpt.run("show", Long.toString(str), "--json").assertOk().json().path("parts");
                assertEquals("state/image", parts.get(1).path("name").asText(), parts::toString);
                assertEquals("stream", parts.get(1).path("type").asText(), parts::toString);
                assertEquals(200004, parts.get(1).path("size").asLong(), parts::toString);
                assertEquals("fs/root", parts.get(2).path("name").asText(), parts::toString);
                assertEquals(9, parts.get(2).path("size").asLong(), parts::toString);

                Path restored = dir.resolve("dir1-restored");
                ckpt.run("restore", "--wpar", "dir1", "--latest", "--to", restored.toString()).assertOk();
                assertEquals("threads=8\n", Files.readString(restored.resolve("state/conf/app.cfg")));

                // A broken config: refused, the old one keeps checkpointing.
                Files.writeString(config, base.replace("interval: 2s", "interval: 90x"));
                int mark = agent.logMark();
                hangUp(agent);
                agent.awaitLog(mark, Pattern.compile("config reload failed, keeping the running config: .*interval.*90x"), WAIT);
                agent.awaitCount(mark, Pattern.compile("WPAR dir1 checkpoint \\d+ uploaded"), 2, WAIT);

                // A good one with a new WPAR: it takes effect.
                Files.writeString(config, base + """
                          - name: dir2
                            source: { preset: directory, path: %s }
                        """.formatted(dir.resolve("app")));
                mark = agent.logMark();
                hangUp(agent);
                agent.awaitLog(mark, Pattern.compile("config reloaded: 3 WPAR\\(s\\)"), WAIT);
                agent.awaitLog(mark, Pattern.compile("WPAR dir2 checkpoint \\d+ uploaded"), WAIT);
                agent.stop();
            }
        }
    }

    private static long latest(Cli ckpt, String wpar) {
        JsonNode cps = ckpt.run("list", "--wpar", wpar, "--json").assertOk().json().path("checkpoints");
        return cps.get(cps.size() - 1).path("id").asLong();
    }

    private static void hangUp(AgentProcess agent) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(agent.pid())).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -HUP " + agent.pid());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
