package io.ckpt.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code ckpt status} shows as a WPAR's last run. */
class AgentStateTest {
    @TempDir
    Path dir;

    /**
     * Issue 18, bug 1: the run is recorded as spooled at the clock's nanoseconds, its upload at the
     * spool entry's milliseconds; the upload looked older and status showed "spooled" for ever.
     */
    @Test
    void theUploadOfTheNewestCheckpointReplacesItsSpooledRecord() throws Exception {
        AgentState state = new AgentState(dir.resolve("agent-state.json"));
        Instant started = Instant.parse("2026-12-07T20:00:00.123456789Z");
        state.record(new RunRecord("web01", started, 900, RunRecord.SPOOLED, 0, 4096, "good", ""));
        state.record(new RunRecord("web01", Instant.ofEpochMilli(started.toEpochMilli()), 300, RunRecord.UPLOADED, 8, 4096,
                "good", ""));
        JsonNode last = state.json("web01").path("last");
        assertEquals("uploaded", last.path("result").asText(), last::toString);
        assertEquals(8, last.path("checkpoint_id").asLong(), last::toString);
    }

    @Test
    void theUploadOfAnOlderCheckpointDoesNotHideTheNewestRun() throws Exception {
        AgentState state = new AgentState(dir.resolve("agent-state.json"));
        Instant older = Instant.parse("2026-12-07T19:00:00.500Z");
        Instant newer = Instant.parse("2026-12-07T20:00:00.000000001Z");
        state.record(new RunRecord("web01", newer, 900, RunRecord.SPOOLED, 0, 4096, "good", ""));
        state.record(new RunRecord("web01", older, 300, RunRecord.UPLOADED, 7, 4096, "good", ""));
        assertEquals("spooled", state.json("web01").path("last").path("result").asText());
    }
}
