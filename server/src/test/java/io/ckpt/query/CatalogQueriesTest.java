package io.ckpt.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.LabelDao;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.catalog.PartDao;
import io.ckpt.catalog.WparDao;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The list, show and select requests: the JSON fields clients and {@code --json} rely on, and
 * {@link NotFoundException} for what does not exist.
 */
final class CatalogQueriesTest {
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private static final byte[] SHA = HexFormat.of().parseHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

    @TempDir
    Path dir;
    private Catalog catalog;
    private CatalogQueries queries;
    private long web1;
    private long web2;
    private long web3Uploading;
    private long db1;

    @BeforeEach
    void fill() throws IOException {
        catalog = Catalog.open(dir.resolve("catalog.db"), "ds-1");
        queries = new CatalogQueries(catalog, new io.ckpt.store.Journal(dir.resolve("journal").resolve("catalog.journal")));
        web1 = checkpoint("web01", T0, true, List.of("pre-upgrade", "ticket=42"));
        web2 = checkpoint("web01", T0.plusSeconds(3600), true, List.of());
        web3Uploading = checkpoint("web01", T0.plusSeconds(7200), false, List.of());
        db1 = checkpoint("db01", T0.plusSeconds(1800), true, List.of());
        catalog.write(h -> {
            PartDao parts = h.attach(PartDao.class);
            parts.create(web1, 0, "statefile", 2, 040755, T0.toEpochMilli(), "");
            long img = parts.create(web1, 1, "statefile/memory.img", 1, 0100600, T0.toEpochMilli() - 1000, "");
            parts.finish(img, 1_048_576, SHA, 17);
            parts.create(web1, 2, "statefile/current", 3, 0120777, T0.toEpochMilli(), "memory.img");
            return null;
        });
    }

    @AfterEach
    void close() {
        catalog.close();
    }

    private long checkpoint(String wpar, Instant takenAt, boolean complete, List<String> labels) throws IOException {
        return catalog.write(h -> {
            h.attach(WparDao.class).ensure(wpar, 1);
            long id = h.attach(CheckpointDao.class).create(wpar, takenAt.toEpochMilli(), "scheduled", "host-a", takenAt.toEpochMilli());
            if (complete) {
                h.attach(CheckpointDao.class).markComplete(id, 1000 + id, 500 + id, 10, 4, 3, takenAt.toEpochMilli() + 5000);
            }
            if (!labels.isEmpty()) {
                h.attach(LabelDao.class).add(id, labels);
            }
            return id;
        });
    }

    private JsonNode ask(String json) throws IOException {
        return CatalogQueries.mapper().readTree(queries.handle(json));
    }

    private static List<Long> ids(JsonNode checkpoints) {
        List<Long> out = new java.util.ArrayList<>();
        checkpoints.forEach(c -> out.add(c.get("id").asLong()));
        return out;
    }

    // --- list ---------------------------------------------------------------------------------

    @Test
    void listShowsCompleteCheckpointsOldestFirst() throws IOException {
        assertEquals(List.of(web1, db1, web2), ids(ask("{\"op\":\"list\"}").get("checkpoints")));
        assertEquals(List.of(web1, web2), ids(ask("{\"op\":\"list\",\"wpar\":\"web01\"}").get("checkpoints")));
    }

    @Test
    void listAllIncludesUploads() throws IOException {
        assertEquals(List.of(web1, web2, web3Uploading), ids(ask("{\"op\":\"list\",\"wpar\":\"web01\",\"all\":true}").get("checkpoints")));
        assertEquals(4, ask("{\"op\":\"list\",\"all\":true}").get("checkpoints").size());
    }

    @Test
    void listCarriesEveryCheckpointField() throws IOException {
        JsonNode c = ask("{\"op\":\"list\",\"wpar\":\"web01\"}").get("checkpoints").get(0);
        assertEquals(Set.of("id", "wpar", "taken_at", "kind", "state", "health", "protected", "labels", "host",
                "logical_bytes", "stored_bytes", "chunks", "new_chunks", "parts", "created_at", "completed_at", "lkg"), fieldNames(c));
        assertEquals(web1, c.get("id").asLong());
        assertEquals("web01", c.get("wpar").asText());
        assertEquals("2026-03-01T10:00:00Z", c.get("taken_at").asText());
        assertEquals("scheduled", c.get("kind").asText());
        assertEquals("complete", c.get("state").asText());
        assertEquals("unknown", c.get("health").asText());
        assertFalse(c.get("protected").asBoolean());
        assertEquals(List.of("pre-upgrade", "ticket=42"), List.of(c.get("labels").get(0).asText(), c.get("labels").get(1).asText()));
        assertEquals("host-a", c.get("host").asText());
        assertEquals(1000 + web1, c.get("logical_bytes").asLong());
        assertEquals(500 + web1, c.get("stored_bytes").asLong());
        assertEquals(10, c.get("chunks").asLong());
        assertEquals(4, c.get("new_chunks").asLong());
        assertEquals(3, c.get("parts").asInt());
        assertEquals("2026-03-01T10:00:00Z", c.get("created_at").asText());
        assertEquals("2026-03-01T10:00:05Z", c.get("completed_at").asText());
    }

    @Test
    void uploadInProgressHasNoCompletionTime() throws IOException {
        JsonNode c = ask("{\"op\":\"list\",\"wpar\":\"web01\",\"all\":true}").get("checkpoints").get(2);
        assertEquals("uploading", c.get("state").asText());
        assertFalse(c.has("completed_at"), c.toString());
    }

    @Test
    void listOfAnUnknownWparIsNotFound() {
        NotFoundException e = assertThrows(NotFoundException.class, () -> ask("{\"op\":\"list\",\"wpar\":\"nope\"}"));
        assertTrue(e.getMessage().contains("unknown WPAR 'nope'"), e.getMessage());
    }

    @Test
    void listOfAWparWithOnlyAnUploadIsEmpty() throws IOException {
        checkpoint("new01", T0, false, List.of());
        assertEquals(0, ask("{\"op\":\"list\",\"wpar\":\"new01\"}").get("checkpoints").size());
    }

    // --- show ---------------------------------------------------------------------------------

    @Test
    void showListsThePartsWithTheirMetadata() throws IOException {
        JsonNode out = ask("{\"op\":\"show\",\"id\":" + web1 + "}");
        assertEquals(web1, out.get("checkpoint").get("id").asLong());
        JsonNode parts = out.get("parts");
        assertEquals(3, parts.size());

        JsonNode dirPart = parts.get(0);
        assertEquals("statefile", dirPart.get("name").asText());
        assertEquals("directory", dirPart.get("type").asText());
        assertEquals("0755", dirPart.get("mode").asText());
        assertEquals("", dirPart.get("sha256").asText(), "a part never finished has no digest");

        JsonNode img = parts.get(1);
        assertEquals(Set.of("name", "type", "mode", "mtime", "size", "chunks", "sha256"), fieldNames(img));
        assertEquals("statefile/memory.img", img.get("name").asText());
        assertEquals("file", img.get("type").asText());
        assertEquals("0600", img.get("mode").asText());
        assertEquals("2026-03-01T09:59:59Z", img.get("mtime").asText());
        assertEquals(1_048_576, img.get("size").asLong());
        assertEquals(17, img.get("chunks").asLong());
        assertEquals(HexFormat.of().formatHex(SHA), img.get("sha256").asText());

        JsonNode link = parts.get(2);
        assertEquals("symlink", link.get("type").asText());
        assertEquals("memory.img", link.get("target").asText());
    }

    @Test
    void showOfAnUnknownIdIsNotFound() {
        NotFoundException e = assertThrows(NotFoundException.class, () -> ask("{\"op\":\"show\",\"id\":99999}"));
        assertTrue(e.getMessage().contains("99999"), e.getMessage());
    }

    // --- select -------------------------------------------------------------------------------

    @Test
    void selectWithoutATimeTakesTheNewestComplete() throws IOException {
        assertEquals(web2, ask("{\"op\":\"select\",\"wpar\":\"web01\"}").get("checkpoint").get("id").asLong());
    }

    @Test
    void selectAtATimeTakesTheNewestCompleteAtOrBeforeIt() throws IOException {
        assertEquals(web1, selectAt("web01", T0.plusSeconds(3599)));
        assertEquals(web2, selectAt("web01", T0.plusSeconds(3600)));
        assertEquals(web2, selectAt("web01", T0.plusSeconds(99_999)), "the upload in progress is never chosen");
        assertEquals(db1, selectAt("db01", T0.plusSeconds(1800)));
    }

    private long selectAt(String wpar, Instant at) throws IOException {
        return ask("{\"op\":\"select\",\"wpar\":\"" + wpar + "\",\"at\":\"" + at + "\"}").get("checkpoint").get("id").asLong();
    }

    @Test
    void selectAtATimeBeforeTheFirstCheckpointIsNotFoundNamingTheFirst() {
        NotFoundException e = assertThrows(NotFoundException.class,
                () -> selectAt("web01", T0.minusSeconds(1)));
        assertTrue(e.getMessage().contains("its first is at 2026-03-01T10:00:00Z"), e.getMessage());
    }

    @Test
    void selectOfAnUnknownWparIsNotFound() {
        NotFoundException e = assertThrows(NotFoundException.class, () -> ask("{\"op\":\"select\",\"wpar\":\"nope\"}"));
        assertTrue(e.getMessage().contains("unknown WPAR 'nope'"), e.getMessage());
    }

    @Test
    void selectOfAWparWithNoCompleteCheckpointIsNotFound() throws IOException {
        checkpoint("new01", T0, false, List.of());
        assertThrows(NotFoundException.class, () -> ask("{\"op\":\"select\",\"wpar\":\"new01\"}"));
    }

    @Test
    void selectByIdReturnsThatCompleteCheckpoint() throws IOException {
        JsonNode c = ask("{\"op\":\"select\",\"id\":" + db1 + "}").get("checkpoint");
        assertEquals(db1, c.get("id").asLong());
        assertEquals("db01", c.get("wpar").asText());
    }

    @Test
    void selectByIdOfAnUnknownOrIncompleteCheckpointIsNotFound() {
        assertThrows(NotFoundException.class, () -> ask("{\"op\":\"select\",\"id\":99999}"));
        assertThrows(NotFoundException.class, () -> ask("{\"op\":\"select\",\"id\":" + web3Uploading + "}"));
    }

    @Test
    void selectByIdOfAnotherWparsCheckpointIsNotFound() {
        NotFoundException e = assertThrows(NotFoundException.class,
                () -> ask("{\"op\":\"select\",\"wpar\":\"web01\",\"id\":" + db1 + "}"));
        assertTrue(e.getMessage().contains("belongs to WPAR 'db01'"), e.getMessage());
    }

    @Test
    void selectOlderThanAnIdWithLastKnownGoodTakesTheNewestGoodBeforeIt() throws IOException {
        long web4 = checkpoint("web01", T0.plusSeconds(10_800), true, List.of());
        for (long id : new long[] {web1, web2, web4}) {
            ask("{\"op\":\"mark\",\"id\":" + id + ",\"health\":\"good\"}");
        }
        assertEquals(web2, olderGood(web4), "the good one just before");
        ask("{\"op\":\"mark\",\"id\":" + web2 + ",\"health\":\"bad\",\"reason\":\"did not start\"}");
        assertEquals(web1, olderGood(web4), "a bad one is skipped");
        assertEquals(web2, ask("{\"op\":\"select\",\"wpar\":\"web01\",\"older_than_id\":" + web4 + "}")
                .get("checkpoint").get("id").asLong(), "without last_known_good: the newest older one, whatever its health");
        NotFoundException none = assertThrows(NotFoundException.class, () -> olderGood(web1));
        assertTrue(none.getMessage().contains("has no complete checkpoint marked good older than checkpoint " + web1),
                none.getMessage());
    }

    @Test
    void selectOlderThanAnotherWparsOrAnUnknownCheckpointIsNotFound() {
        NotFoundException other = assertThrows(NotFoundException.class, () -> olderGood(db1));
        assertTrue(other.getMessage().contains("belongs to WPAR 'db01'"), other.getMessage());
        assertThrows(NotFoundException.class, () -> olderGood(99_999));
    }

    private long olderGood(long id) throws IOException {
        return ask("{\"op\":\"select\",\"wpar\":\"web01\",\"last_known_good\":true,\"older_than_id\":" + id + "}")
                .get("checkpoint").get("id").asLong();
    }

    // --- malformed requests -------------------------------------------------------------------

    @Test
    void malformedRequestsAreBadRequests() {
        for (String bad : new String[] {"not json", "{\"op\":\"drop\"}", "{}", "{\"op\":\"show\"}", "{\"op\":\"show\",\"id\":\"x\"}",
                "{\"op\":\"select\"}", "{\"op\":\"select\",\"wpar\":\"web01\",\"at\":\"yesterday\"}",
                "{\"op\":\"select\",\"wpar\":\"web01\",\"older_than_id\":\"x\"}"}) {
            RequestRefusedException e = assertThrows(RequestRefusedException.class, () -> ask(bad), bad);
            assertEquals(ErrorCode.BAD_REQUEST, e.code(), bad);
        }
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> names = new java.util.HashSet<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void requestNestedDeeperThanTheLimitIsRefusedWithTheLimitNamed() {
        String deep = "{\"op\":\"list\",\"x\":" + "[".repeat(40) + "]".repeat(40) + "}";
        io.ckpt.protocol.RequestRefusedException e = assertThrows(io.ckpt.protocol.RequestRefusedException.class, () -> ask(deep));
        assertEquals(io.ckpt.protocol.ErrorCode.BAD_REQUEST, e.code());
        assertTrue(e.getMessage().startsWith("request refused: Document nesting depth (17) exceeds the maximum allowed (16"),
                e.getMessage());
    }

    @Test
    void requestWithAStringPastTheLimitIsRefused() {
        String big = "{\"op\":\"list\",\"wpar\":\"" + "w".repeat(1_100_000) + "\"}";
        io.ckpt.protocol.RequestRefusedException e = assertThrows(io.ckpt.protocol.RequestRefusedException.class, () -> ask(big));
        assertTrue(e.getMessage().startsWith("request refused: String value length"), e.getMessage());
        assertTrue(e.getMessage().contains("exceeds the maximum allowed (1048576"), e.getMessage());
    }

    @Test
    void requestWithANumberOfAHundredDigitsIsRefused() {
        io.ckpt.protocol.RequestRefusedException e = assertThrows(io.ckpt.protocol.RequestRefusedException.class,
                () -> ask("{\"op\":\"show\",\"id\":" + "9".repeat(100) + "}"));
        assertTrue(e.getMessage().startsWith("request refused: Number value length"), e.getMessage());
    }
}
