package io.ckpt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobsTest {
    @Test
    void aRunningJobIsListedFirstThenEndedOnesNewestFirst() throws IOException {
        List<Jobs.Job> told = new ArrayList<>();
        Jobs jobs = new Jobs(Clock.systemUTC(), told::add);
        jobs.run("gc", "", Jobs.Trigger.REQUEST, () -> JsonNodeFactory.instance.objectNode().put("bytes_freed", 7));
        jobs.run("prune", "web*", Jobs.Trigger.SCHEDULE, () -> {
            Jobs.Job running = jobs.list().get(0);
            assertEquals("prune", running.kind());
            assertEquals(null, running.ended());
            assertEquals("running", jobs.json().path("jobs").path(0).path("state").asText());
            return JsonNodeFactory.instance.objectNode();
        });
        List<Jobs.Job> list = jobs.list();
        assertEquals(List.of("prune", "gc"), list.stream().map(Jobs.Job::kind).toList());
        assertTrue(list.get(1).ok());
        assertEquals(7, list.get(1).result().path("bytes_freed").asLong());
        assertEquals(2, told.size());
        assertEquals("schedule", jobs.json().path("jobs").path(0).path("trigger").asText());
    }

    @Test
    void aFailedJobKeepsItsErrorAndTheFailureIsRethrown() {
        Jobs jobs = new Jobs();
        IOException e = assertThrows(IOException.class, () -> jobs.run("verify", "", Jobs.Trigger.REQUEST, () -> {
            throw new IOException("pack 7 unreadable");
        }));
        assertEquals("pack 7 unreadable", e.getMessage());
        Jobs.Job j = jobs.list().get(0);
        assertFalse(j.ok());
        assertEquals("pack 7 unreadable", j.result().path("error").asText());
        assertEquals("failed", jobs.json().path("jobs").path(0).path("state").asText());
    }

    @Test
    void onlyTheLastFiftyEndedJobsAreKept() throws IOException {
        Jobs jobs = new Jobs();
        for (int i = 0; i < Jobs.KEPT + 5; i++) {
            jobs.run("gc", "", Jobs.Trigger.SCHEDULE, () -> JsonNodeFactory.instance.objectNode());
        }
        assertEquals(Jobs.KEPT, jobs.list().size());
        assertEquals(Jobs.KEPT + 5, jobs.list().get(0).id());
    }
}
