package io.ckpt.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.AgentProcess;
import io.ckpt.it.Cli;
import io.ckpt.it.ToyNodes;
import io.ckpt.it.ToyWparHome;
import io.ckpt.testkit.ChildClasspath;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * contrib/powerha's start, stop and monitor scripts, called as PowerHA calls them (the monitor
 * through a link named for the WPAR, without arguments), against a real server and the agents of
 * two nodes, moving the toy WPAR from node-a to node-b.
 */
class PowerHaScriptsTest {
    @TempDir
    Path dir;

    record Ran(int exitCode, String output) {}

    @Test
    void stopOnOneNodeAndStartOnTheOtherContinueFromTheFinalCheckpoint() throws Exception {
        ToyNodes nodes = new ToyNodes(dir);
        ToyWparHome toys = nodes.toys;
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server);
            int controlA = ToyNodes.freePort();
            int controlB = ToyNodes.freePort();
            Path configA = nodes.agentConfig(server, "node-a", controlA);
            Path configB = nodes.agentConfig(server, "node-b", controlB);
            Map<String, String> env = new HashMap<>(toys.env());
            env.put("CKPT_POLL_WAIT_MS", "1000");
            Path scripts = installScripts();
            toys.start("toy");
            toys.track("toy");
            try (AgentProcess a = AgentProcess.start(configA, env); AgentProcess b = AgentProcess.start(configB, env)) {
                long first = nodes.checkpointNow(ckpt, a, controlA);
                ckpt.run("mark-good", Long.toString(first)).assertOk();

                Ran monitor = run(scripts.resolve("ckpt-wpar-monitor.toy"), List.of(), server, configA, env);
                assertEquals(0, monitor.exitCode(), "healthy on node-a: " + monitor);

                Ran stop = run(scripts.resolve("ckpt-wpar-stop.toy"), List.of(), server, configA, env);
                assertEquals(0, stop.exitCode(), stop::toString);
                long finalId = Long.parseLong(stop.output().lines().filter(l -> l.matches("\\d+")).findFirst().orElseThrow());
                JsonNode fin = ckpt.run("show", "--json", Long.toString(finalId)).assertOk().json().path("checkpoint");
                assertEquals("final", fin.path("kind").asText(), fin::toString);
                Path status = toys.root("toy").resolve("run/status");
                assertNotEquals("running", Files.exists(status) ? Files.readString(status).strip() : "gone",
                        "the stop script stopped the toy");
                monitor = run(scripts.resolve("ckpt-wpar-monitor.toy"), List.of(), server, configA, env);
                assertNotEquals(0, monitor.exitCode(), "a stopped WPAR fails its monitor: " + monitor);

                Ran start = run(scripts.resolve("ckpt-wpar-start"), List.of("toy"), server, configB, env);
                assertEquals(0, start.exitCode(), start::toString);
                nodes.assertRunsFrom(nodes.counterOf(ckpt, finalId));
                assertEquals(0, run(scripts.resolve("ckpt-wpar-monitor.toy"), List.of(), server, configB, env).exitCode());
                JsonNode owner = ckpt.run("hosts", "--json").assertOk().json();
                assertTrue(owner.toString().contains("\"host\":\"node-b\"") && owner.toString().contains("\"epoch\":2"),
                        "node-b took the WPAR over: " + owner);

                // The old node is fenced: its uploads of the WPAR are refused.
                Path stale = Files.writeString(dir.resolve("stale.img"), "old state");
                ckpt.run("push", "--wpar", "toy", "--host-id", "node-a", stale.toString()).assertExit(7);
            } finally {
                toys.stop("toy");
            }
        }
    }

    /** Copies contrib/powerha's scripts, with per-WPAR links as the README says, and a ckpt command for them. */
    private Path installScripts() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path contrib = Path.of("..", "contrib", "powerha").toAbsolutePath().normalize();
        if (!Files.isDirectory(contrib)) {
            contrib = Path.of("contrib", "powerha").toAbsolutePath();
        }
        for (String s : new String[] {"start", "stop", "monitor"}) {
            Path script = Files.copy(contrib.resolve("ckpt-wpar-" + s), bin.resolve("ckpt-wpar-" + s));
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createSymbolicLink(bin.resolve("ckpt-wpar-" + s + ".toy"), script.getFileName());
        }
        Path ckpt = Files.writeString(bin.resolve("ckpt"), "#!/bin/sh\nexec '" + ServerProcess.javaBinary()
                + "' -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '" + ChildClasspath.client() + "' io.ckpt.cli.CkptMain \"$@\"\n");
        Files.setPosixFilePermissions(ckpt, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private Ran run(Path script, List<String> args, ServerProcess server, Path agentConfig, Map<String, String> env)
            throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(script.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("CKPT", dir.resolve("bin/ckpt").toString());
        pb.environment().put("CKPT_SERVER", server.address());
        pb.environment().put("CKPT_AGENT_CONFIG", agentConfig.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(ToyNodes.WAIT.toSeconds(), TimeUnit.SECONDS), script + " did not end");
        return new Ran(p.exitValue(), out);
    }
}
