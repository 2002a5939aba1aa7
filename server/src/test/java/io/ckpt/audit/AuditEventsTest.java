package io.ckpt.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.jobs.Jobs;
import io.ckpt.protocol.ErrorCode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which requests and jobs are audited, and with which action and outcome. */
class AuditEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Actor OPS = new Actor("", "opsB", "/127.0.0.1:4000");

    @TempDir
    Path dir;

    private List<String> recorded(java.util.function.Consumer<AuditEvents> work) throws Exception {
        try (AuditLog log = new AuditLog(dir, AuditLog.DEFAULT_MAX_BYTES, 2, Duration.ofSeconds(1), Clock.systemUTC())) {
            work.accept(new AuditEvents(log));
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : AuditReader.read(dir, 2, AuditReader.Filter.ALL).path("events")) {
            out.add(e.path("actor").asText() + " " + e.path("action").asText() + " " + e.path("wpar").asText("-") + " "
                    + e.path("outcome").asText());
        }
        return out;
    }

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void dryRunsQueriesAndClaimsThatChangeNothingAreNotRecorded() throws Exception {
        assertEquals(List.of(), recorded(a -> {
            a.request(OPS, json("{\"op\":\"prune\",\"dry_run\":true}"), json("{\"wpars\":[]}"), null, null);
            a.request(OPS, json("{\"op\":\"gc\",\"dry_run\":true}"), json("{}"), null, null);
            a.request(OPS, json("{\"op\":\"list\"}"), json("{\"checkpoints\":[]}"), null, null);
            a.request(OPS, json("{\"op\":\"claim\",\"wpar\":\"w\",\"host\":\"opsB\"}"), json("{\"changed\":false}"), null, null);
        }));
    }

    @Test
    void outcomeIsRefusedForWhatWasAskedWronglyAndFailedForWhatWentWrong() throws Exception {
        assertEquals(List.of("opsB unprotect w1 ok", "opsB mark-good - refused", "opsB gc - failed",
                "opsB relocate web01 failed", "opsB ownership.claim w2 ok"), recorded(a -> {
            a.request(OPS, json("{\"op\":\"protect\",\"id\":3,\"protected\":false}"),
                    json("{\"checkpoint\":{\"id\":3,\"wpar\":\"w1\"}}"), null, null);
            a.request(OPS, json("{\"op\":\"mark\",\"id\":99,\"health\":\"good\"}"), null, ErrorCode.NOT_FOUND, "no checkpoint 99");
            a.request(OPS, json("{\"op\":\"gc\"}"), null, ErrorCode.INTERNAL, "server error: disk");
            a.request(OPS, json("{\"op\":\"relocate\",\"wpar\":\"web01\",\"to\":\"b\"}"), json("{\"ok\":false}"), null, null);
            a.request(OPS, json("{\"op\":\"claim\",\"wpar\":\"w2\",\"host\":\"opsB\",\"take_over\":true}"),
                    json("{\"changed\":true,\"previous_owner\":\"nodeA\",\"epoch\":4}"), null, null);
        }));
    }

    @Test
    void onlyScheduledJobsAreRecordedFromTheJobRingAsTheServer() throws Exception {
        Instant t = Instant.parse("2026-11-26T12:00:00Z");
        assertEquals(List.of("server prune - ok", "server verify - failed"), recorded(a -> {
            a.job(new Jobs.Job(1, "prune", "configured", Jobs.Trigger.SCHEDULE, t, t, true, json("{\"wpars\":[]}")));
            a.job(new Jobs.Job(2, "gc", "", Jobs.Trigger.REQUEST, t, t, true, json("{}")));
            a.job(new Jobs.Job(3, "verify", "", Jobs.Trigger.SCHEDULE, t, t, false, json("{\"error\":\"io\"}")));
        }));
    }

    @Test
    void hostCredentialChangesAreRecordedWithTheHostTheyConcern() throws Exception {
        assertEquals(List.of("opsB host.add - ok", "opsB host.revoke - refused"), recorded(a -> {
            a.hostCredentials(OPS, "add", "nodeC", null, null);
            a.hostCredentials(OPS, "revoke", "nodeZ", "no such host", null);
        }));
    }
}
