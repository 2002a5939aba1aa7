package io.ckpt.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Issue 18, bug 5: a failover's report says which checkpoint it started, not only --json. */
class MoveReportPrintTest {
    @Test
    void theReportNamesTheCheckpointStartedAndWhenItWasTaken() throws Exception {
        var report = new ObjectMapper().readTree("{\"wpar\":\"web01\",\"from\":\"nodeA\",\"to\":\"nodeB\",\"checkpoint\":17,"
                + "\"taken_at\":\"2026-12-07T20:00:00Z\",\"steps\":[{\"step\":\"restore and start\",\"host\":\"nodeB\","
                + "\"seconds\":1.5,\"ok\":true}],\"result\":\"web01 runs on nodeB\",\"ok\":true}");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MoveCommands.Failover f = new MoveCommands.Failover();
        f.out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        f.print(report);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("web01: nodeA -> nodeB\n  checkpoint 17 (taken 2026-12-07T20:00:00Z)\n"), text);
        assertTrue(text.contains("web01 runs on nodeB"), text);
    }
}
