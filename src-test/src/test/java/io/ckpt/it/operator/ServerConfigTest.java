package io.ckpt.it.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention from the server config: policies per WPAR glob with a default, prune and gc on a
 * schedule, SIGHUP reload keeping the old config when the new one is broken, and a broken config
 * refused at start.
 */
class ServerConfigTest {
    private static final String CONFIG = """
            retention:
              default: { keep-last: 2 }
              wpars:
                - { match: "db*", policy: { keep-last: 1 } }
            schedule: { prune: 2s, gc: 3s }
            """;

    @Test
    void configuredPoliciesArePrunedOnTheirScheduleAndGcRuns(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("server.yaml"), CONFIG);
        Path img = Files.writeString(dir.resolve("img"), "state");
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore")).args("--config", config.toString()).start()) {
            Cli ckpt = Cli.against(server);
            for (int i = 1; i <= 4; i++) {
                ckpt.run("push", "--wpar", "web01", "--taken-at", "2026-11-2" + i + "T10:00:00Z", img.toString()).assertOk();
                ckpt.run("push", "--wpar", "db01", "--taken-at", "2026-11-2" + i + "T10:00:00Z", img.toString()).assertOk();
            }
            // Prune without flags uses the configured policies.
            JsonNode dry = ckpt.run("prune", "--dry-run", "--json").assertOk().json();
            assertTrue(dry.toString().contains("\"wpar\":\"db01\"") && dry.toString().contains("\"wpar\":\"web01\""), dry::toString);

            // The schedule prunes to the configured policies (also while pushes still arrive) and gc runs.
            awaitCount(ckpt, "db01", 1);
            awaitCount(ckpt, "web01", 2);
            server.awaitLog(Pattern.compile("scheduled prune: WPAR db01: \\d+ checkpoint\\(s\\) removed"), Duration.ofSeconds(30));
            server.awaitLog(Pattern.compile("gc: \\d+ unused chunks forgotten"), Duration.ofSeconds(30));

            // A broken config on SIGHUP is refused; the running one goes on.
            Files.writeString(config, CONFIG.replace("keep-last: 1", "keep-last: -7"));
            int mark = server.logMark();
            hangUp(server.pid());
            server.awaitLog(mark, Pattern.compile("config reload failed, keeping the running config: .*keep-last: -7"),
                    Duration.ofSeconds(30));
            // A good one takes effect: db01 now keeps 2.
            Files.writeString(config, CONFIG.replace("keep-last: 1", "keep-last: 2"));
            mark = server.logMark();
            hangUp(server.pid());
            server.awaitLog(mark, Pattern.compile("config .* reloaded"), Duration.ofSeconds(30));
            ckpt.run("push", "--wpar", "db01", "--taken-at", "2026-11-26T10:00:00Z", img.toString()).assertOk();
            Thread.sleep(5000); // two prune runs
            assertEquals(2, count(ckpt, "db01"), "the reloaded policy keeps 2");
        }
    }

    @Test
    void brokenConfigStopsTheStartWithTheKeyNamed(@TempDir Path dir) throws Exception {
        String[][] cases = {
            {"retention:\n  default: { keep-daily: -2 }\n", "server.yaml: retention.default: keep-daily: -2"},
            {"schedule: { verify: 1d, verify-share: 150% }\n", "server.yaml: schedule.verify-share: '150%' is not a share of the packs"},
        };
        for (String[] c : cases) {
            Path config = Files.writeString(dir.resolve("server.yaml"), c[0]);
            ServerProcess.Exited exited = ServerProcess.on(dir.resolve("datastore")).args("--config", config.toString())
                    .startExpectingExit();
            assertEquals(2, exited.exitCode(), exited::log);
            assertTrue(exited.log().contains(c[1]), exited::log);
        }
    }

    private static void awaitCount(Cli ckpt, String wpar, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (count(ckpt, wpar) != n) {
            assertTrue(System.nanoTime() < deadline, wpar + " never pruned to " + n + " checkpoint(s)");
            Thread.sleep(500);
        }
    }

    private static int count(Cli ckpt, String wpar) {
        return ckpt.run("list", "--wpar", wpar, "--json").assertOk().json().path("checkpoints").size();
    }

    private static void hangUp(long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0);
    }
}
