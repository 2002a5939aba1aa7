package io.ckpt.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Task results: only the host a task was queued for can end it. */
class HostsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aResultFromAnotherHostDoesNotEndTheTask() throws Exception {
        try (Hosts hosts = new Hosts(Duration.ofSeconds(30))) {
            ObjectNode task = JSON.createObjectNode().put("type", "start").put("wpar", "web01");
            CompletableFuture<com.fasterxml.jackson.databind.JsonNode> f = hosts.submit("node1", task);
            long id = task.path("id").asLong();
            ObjectNode report = JSON.createObjectNode().put("op", "task_result").put("task", id).put("ok", true);
            hosts.result("node3", report);
            assertFalse(f.isDone(), "node3 may not report node1's task");
            hosts.result("node1", report);
            assertTrue(f.isDone());
            assertEquals(true, f.get().path("ok").asBoolean());
        }
    }

    /**
     * An agent reports a task's end after the server restarted (it retries its report, and a final
     * checkpoint outlasts a restart): the report must not end a task of the new server's that
     * happens to carry the same number, such as the final checkpoint of another WPAR.
     */
    @Test
    void aReportOfATaskFromBeforeARestartDoesNotEndANewTask() throws Exception {
        long oldId;
        try (Hosts before = new Hosts(Duration.ofSeconds(30))) {
            ObjectNode task = JSON.createObjectNode().put("type", "final_checkpoint").put("wpar", "web01");
            before.submit("node1", task);
            oldId = task.path("id").asLong();
        }
        try (Hosts after = new Hosts(Duration.ofSeconds(30))) {
            ObjectNode task = JSON.createObjectNode().put("type", "final_checkpoint").put("wpar", "db01");
            CompletableFuture<com.fasterxml.jackson.databind.JsonNode> f = after.submit("node1", task);
            after.result("node1", JSON.createObjectNode().put("op", "task_result").put("task", oldId).put("ok", true)
                    .put("checkpoint", 7));
            assertFalse(f.isDone(), "task " + oldId + " of the server before the restart (web01) ended task "
                    + task.path("id").asLong() + " (db01)");
        }
    }
}
