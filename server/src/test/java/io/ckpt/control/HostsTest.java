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
}
