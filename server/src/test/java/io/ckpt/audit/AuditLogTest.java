package io.ckpt.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
    @TempDir
    Path dir;

    private static final Actor NODE_A = new Actor("", "nodeA", "/127.0.0.1:5000");

    private AuditLog open(long maxBytes) throws Exception {
        return new AuditLog(dir, maxBytes, 3, Duration.ofSeconds(1), Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC));
    }

    private static List<String> actions(ObjectNode r) {
        List<String> out = new ArrayList<>();
        r.path("events").forEach(e -> out.add(e.path("action").asText()));
        return out;
    }

    @Test
    void eventsReadBackInOrderWithActorOutcomeAndTarget() throws Exception {
        try (AuditLog log = open(AuditLog.DEFAULT_MAX_BYTES)) {
            log.ok(NODE_A, "upload.committed", "web01", 7L, AuditLog.details().put("logical_bytes", 10));
            log.record(NODE_A, "mark-bad", "web01", 7L, AuditLog.Outcome.OK, null);
            log.record(Actor.SERVER, "prune", null, null, AuditLog.Outcome.FAILED, null);
        }
        ObjectNode r = AuditReader.read(dir, 3, AuditReader.Filter.ALL);
        assertEquals(List.of("upload.committed", "mark-bad", "prune"), actions(r));
        JsonNode first = r.path("events").get(0);
        assertEquals("nodeA", first.path("actor").asText());
        assertEquals("/127.0.0.1:5000", first.path("peer").asText());
        assertEquals("web01", first.path("wpar").asText());
        assertEquals(7, first.path("checkpoint").asLong());
        assertEquals("ok", first.path("outcome").asText());
        assertEquals("server", r.path("events").get(2).path("actor").asText());
        assertEquals("failed", r.path("events").get(2).path("outcome").asText());
        assertTrue(r.path("torn_lines").isEmpty() && r.path("damaged_lines").isEmpty());
    }

    @Test
    void filterMatchesWparActorActionPrefixAndKeepsTheNewestLimit() throws Exception {
        try (AuditLog log = open(AuditLog.DEFAULT_MAX_BYTES)) {
            log.ok(NODE_A, "upload.committed", "web01", 1L, null);
            log.ok(NODE_A, "upload.committed", "db01", 2L, null);
            log.ok(Actor.SERVER, "gc", null, null, null);
            log.ok(NODE_A, "upload.aborted", "web01", 3L, null);
        }
        assertEquals(List.of("upload.committed", "upload.aborted"),
                actions(AuditReader.read(dir, 3, new AuditReader.Filter(null, null, "web01", null, null, 0))));
        assertEquals(List.of("gc"), actions(AuditReader.read(dir, 3, new AuditReader.Filter(null, null, null, "server", null, 0))));
        assertEquals(3, AuditReader.read(dir, 3, new AuditReader.Filter(null, null, null, null, "upload", 0)).path("events").size());
        ObjectNode last = AuditReader.read(dir, 3, new AuditReader.Filter(null, null, null, null, "upload", 1));
        assertEquals(3, last.path("events").get(0).path("checkpoint").asLong());
        assertEquals(0, AuditReader.read(dir, 3, new AuditReader.Filter(Instant.parse("2026-11-26T12:00:01Z"), null,
                null, null, null, 0)).path("events").size());
    }

    @Test
    void tornLastLineIsReportedAsTornAndEndedAtTheNextOpen() throws Exception {
        try (AuditLog log = open(AuditLog.DEFAULT_MAX_BYTES)) {
            log.ok(NODE_A, "protect", "web01", 1L, null);
        }
        Path file = dir.resolve(AuditLog.FILE);
        Files.write(file, "1234abcd {\"time\":\"2026".getBytes(StandardCharsets.US_ASCII), StandardOpenOption.APPEND);
        ObjectNode before = AuditReader.read(dir, 3, AuditReader.Filter.ALL);
        assertEquals("[{\"file\":\"audit.log\",\"line\":2}]", before.path("torn_lines").toString());
        try (AuditLog log = open(AuditLog.DEFAULT_MAX_BYTES)) {
            log.ok(NODE_A, "unprotect", "web01", 1L, null);
        }
        ObjectNode after = AuditReader.read(dir, 3, AuditReader.Filter.ALL);
        assertEquals(List.of("protect", "audit.recovered", "unprotect"), actions(after));
        assertEquals("[{\"file\":\"audit.log\",\"line\":2}]", after.path("torn_lines").toString());
        assertTrue(after.path("damaged_lines").isEmpty(), after.toString());
    }

    @Test
    void aLineChangedInTheMiddleIsReportedAsDamagedNamingFileAndLine() throws Exception {
        try (AuditLog log = open(AuditLog.DEFAULT_MAX_BYTES)) {
            log.ok(NODE_A, "mark-good", "web01", 1L, null);
            log.ok(NODE_A, "mark-good", "web01", 2L, null);
            log.ok(NODE_A, "mark-good", "web01", 3L, null);
        }
        Path file = dir.resolve(AuditLog.FILE);
        String text = Files.readString(file);
        Files.writeString(file, text.replace("\"checkpoint\":2", "\"checkpoint\":9"));
        ObjectNode r = AuditReader.read(dir, 3, AuditReader.Filter.ALL);
        assertEquals(2, r.path("events").size());
        assertEquals("[{\"file\":\"audit.log\",\"line\":2}]", r.path("damaged_lines").toString());
        assertTrue(r.path("torn_lines").isEmpty());
    }

    @Test
    void rotationBySizeKeepsTheNewestFilesAndReadsThemOldestFirst() throws Exception {
        try (AuditLog log = open(400)) {
            for (long i = 1; i <= 20; i++) {
                log.ok(NODE_A, "upload.committed", "web01", i, null);
            }
        }
        assertTrue(Files.exists(dir.resolve("audit.log.3")));
        assertTrue(!Files.exists(dir.resolve("audit.log.4")));
        ObjectNode r = AuditReader.read(dir, 3, AuditReader.Filter.ALL);
        long prev = 0;
        for (JsonNode e : r.path("events")) {
            assertTrue(e.path("checkpoint").asLong() > prev, r.toString());
            prev = e.path("checkpoint").asLong();
        }
        assertEquals(20, prev);
        assertTrue(r.path("events").size() < 20, "the oldest rotated out");
    }
}
