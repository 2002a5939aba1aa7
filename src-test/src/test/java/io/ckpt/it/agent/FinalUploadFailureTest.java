package io.ckpt.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.AgentProcess;
import io.ckpt.it.Cli;
import io.ckpt.it.ToyNodes;
import io.ckpt.it.ToyWparHome;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The final checkpoint of a relocation is taken (the WPAR stops) but its upload fails: the
 * server's datastore is below its free-space reserve (issue 20, defect 6). The WPAR must not be
 * left stopped while the mover says it stays on its host: the source restarts it from the spooled
 * copy of that checkpoint, and the report says so. The datastore is on a small tmpfs this test
 * mounts (tests run as root here, as DiskFullTest).
 */
@Tag("slow")
class FinalUploadFailureTest {
    @TempDir
    Path dir;

    @Test
    void finalCheckpointThatCannotBeUploadedLeavesTheWparRunningOnTheSourceAndSaysSo() throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small-fs"));
        run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount.toString());
        try {
            ToyNodes nodes = new ToyNodes(dir);
            ToyWparHome toys = nodes.toys;
            try (ServerProcess server = ServerProcess.on(mount.resolve("datastore")).args("--reserve", "24").start()) {
                Cli ckpt = Cli.against(server);
                int controlA = ToyNodes.freePort();
                int controlB = ToyNodes.freePort();
                Path configA = nodes.agentConfig(server, "node-a", controlA);
                Path configB = nodes.agentConfig(server, "node-b", controlB);
                Map<String, String> env = new HashMap<>(toys.env());
                env.put("CKPT_POLL_WAIT_MS", "1000");
                toys.start("toy");
                toys.track("toy");
                AgentProcess a = AgentProcess.start(configA, env);
                AgentProcess b = AgentProcess.start(configB, env);
                try {
                    long first = nodes.checkpointNow(ckpt, a, controlA);
                    ckpt.run("mark-good", Long.toString(first)).assertOk();
                    // Fill the datastore's file system to below the reserve: uploads are refused from now on.
                    long free = Files.getFileStore(mount).getUsableSpace();
                    long fill = free - (12L << 20);
                    try (var ch = java.nio.channels.FileChannel.open(mount.resolve("filler"),
                            java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 20);
                        for (long n = 0; n < fill; n += buf.capacity()) {
                            buf.clear();
                            ch.write(buf);
                        }
                    }

                    JsonNode r = ckpt.run("relocate", "toy", "--to", "node-b", "--json", "--step-timeout", "120")
                            .assertExit(1).json();
                    assertEquals("running", r.path("wpar_state").asText(), "the source restarted it: " + r);
                    assertTrue(r.path("result").asText().contains("restarted there"), r::toString);
                    for (JsonNode s : r.path("steps")) {
                        assertFalse(s.path("step").asText().startsWith("ownership"), "nothing moved: " + r);
                    }
                    assertEquals("running", toys.status("toy").path("state").asText(),
                            "the WPAR runs again on the source after the failed move: " + r);
                    JsonNode hosts = ckpt.run("hosts", "--json").assertOk().json();
                    assertTrue(hosts.toString().contains("\"host\":\"node-a\"") && hosts.toString().contains("\"wpar\":\"toy\""),
                            hosts::toString);
                } finally {
                    a.close();
                    b.close();
                    toys.stop("toy");
                }
            }
        } finally {
            run("umount", "-l", mount.toString());
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", cmd) + " failed (this test mounts a small tmpfs and needs root): " + out);
        }
    }
}
