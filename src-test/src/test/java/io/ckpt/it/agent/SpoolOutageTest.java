package io.ckpt.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.AgentProcess;
import io.ckpt.it.Cli;
import io.ckpt.it.ToyNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An outage long enough to hit the spool limits (issue 20, defect 4), with a real agent whose
 * server is down: app01 checkpoints every second, db01 was checkpointed once, by hand. app01
 * fills the spool, yet db01's only (good) checkpoint stays spooled, and `ckpt status` names
 * what was dropped.
 */
class SpoolOutageTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aFrequentWparFillingTheSpoolKeepsTheOtherWparsOnlyCheckpointAndStatusShowsTheDrops(@TempDir Path dir)
            throws Exception {
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.writeString(app.resolve("a.cfg"), "x=1\n");
        Path db = Files.createDirectories(dir.resolve("db"));
        Files.writeString(db.resolve("db.cfg"), "y=2\n");
        int control = ToyNodes.freePort();
        int nobody = ToyNodes.freePort(); // the server is down for the whole test
        Path config = Files.writeString(dir.resolve("agent.yaml"), """
                server: 127.0.0.1:%d
                host-id: it-outage
                state-dir: %s
                control: 127.0.0.1:%d
                spool: { max-checkpoints: 3 }
                upload: { retries: 0, backoff: 1h, max-backoff: 1h }
                wpars:
                  - name: db01
                    schedule: { cron: "0 0 1 1 *" }
                    source: { preset: directory, path: %s }
                  - name: app01
                    schedule: { interval: 1s }
                    source: { preset: directory, path: %s }
                """.formatted(nobody, dir.resolve("state"), control, db, app));
        try (AgentProcess agent = AgentProcess.start(config, Map.of())) {
            Cli.standalone().run("agent", "checkpoint-now", "db01", "--control", "127.0.0.1:" + control).assertOk();
            agent.awaitLog(Pattern.compile("WPAR db01 checkpoint taken"), WAIT);
            int mark = agent.logMark();
            agent.awaitCount(mark, Pattern.compile("dropping"), 3, WAIT);
            JsonNode status = Cli.standalone().run("status", "--json", "--control", "127.0.0.1:" + control,
                    "--server", "127.0.0.1:" + nobody).assertOk().json();
            JsonNode dbStatus = null;
            JsonNode appStatus = null;
            for (JsonNode w : status.path("wpars")) {
                if (w.path("wpar").asText().equals("db01")) {
                    dbStatus = w;
                } else {
                    appStatus = w;
                }
            }
            assertEquals(1, dbStatus.path("spooled").asInt(), "db01's only checkpoint stays spooled: " + status);
            assertEquals(0, dbStatus.path("dropped_total").asInt(), status::toString);
            assertTrue(appStatus.path("dropped_total").asInt() >= 3, "app01's drops are counted: " + status);
            assertTrue(appStatus.path("recent_drops").get(0).path("reason").asText().contains("spool full"), status::toString);
            String text = Cli.standalone().run("status", "--control", "127.0.0.1:" + control, "--server", "127.0.0.1:" + nobody)
                    .assertOk().stdout();
            assertTrue(text.contains("DROPPED") && text.contains("never uploaded"), text);
            agent.stop();
        }
    }
}
