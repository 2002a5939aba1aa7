package io.ckpt.agent.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.agent.config.CommandTemplate;
import io.ckpt.agent.config.HealthCheckConfig;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HealthCheckTest {
    private static final HealthCheck.Verdict GOOD = new HealthCheck.Verdict("good", "");
    private static final HealthCheck.Verdict BAD = new HealthCheck.Verdict("bad", "down");

    private static HealthCheckConfig command(String cmd) {
        return new HealthCheckConfig(Optional.of(CommandTemplate.parse(cmd, Set.of(CommandTemplate.WPAR))), Optional.empty(),
                HealthCheckConfig.When.AFTER);
    }

    @Test
    void beforeAndAfterCombineBadOverGoodAndUnknownMeansNotChecked() {
        assertEquals(GOOD, HealthCheck.worse(HealthCheck.Verdict.UNKNOWN, GOOD));
        assertEquals(GOOD, HealthCheck.worse(GOOD, HealthCheck.Verdict.UNKNOWN));
        assertEquals(BAD, HealthCheck.worse(GOOD, BAD));
        assertEquals(BAD, HealthCheck.worse(BAD, GOOD));
        assertEquals(HealthCheck.Verdict.UNKNOWN, HealthCheck.worse(HealthCheck.Verdict.UNKNOWN, HealthCheck.Verdict.UNKNOWN));
    }

    @Test
    void commandExitingZeroIsGoodOtherwiseBadWithItsStderr() {
        assertEquals("good", HealthCheck.run(command("true"), "web01", Duration.ofSeconds(10)).health());
        HealthCheck.Verdict v = HealthCheck.run(command("sh -c 'echo app down >&2; exit 3'"), "web01", Duration.ofSeconds(10));
        assertEquals("bad", v.health());
        assertTrue(v.reason().contains("exited 3") && v.reason().contains("app down"), v.reason());
    }

    @Test
    void hungHealthCheckIsBadAfterItsTimeout() {
        HealthCheck.Verdict v = HealthCheck.run(command("sleep 30"), "web01", Duration.ofMillis(300));
        assertEquals("bad", v.health());
        assertTrue(v.reason().contains("timed out"), v.reason());
    }

    @Test
    void missingProcessIsBad() {
        HealthCheckConfig cfg = new HealthCheckConfig(Optional.empty(), Optional.of("no-such-daemon-xyz"),
                HealthCheckConfig.When.AFTER);
        HealthCheck.Verdict v = HealthCheck.run(cfg, "web01", Duration.ofSeconds(5));
        assertEquals("bad", v.health());
        assertTrue(v.reason().contains("no-such-daemon-xyz"), v.reason());
        assertTrue(HealthCheck.processRunning("java"), "this JVM is a running 'java'");
    }
}
