package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal reads back what was appended, survives a torn last line, and compacts atomically. */
final class JournalTest {
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("journal").resolve(Journal.FILE);
    }

    @Test
    void eventsReadBackInOrder() throws IOException {
        try (Journal j = new Journal(file())) {
            j.append(Journal.health(7, "bad", "port 80 closed", 1000));
            j.append(Journal.protect(7, true, 1001));
            j.append(Journal.owner("web01", "nodeB", 3, 1002));
        }
        List<JsonNode> events = Journal.read(file()).events();
        assertEquals(List.of("health", "protect", "owner"), events.stream().map(e -> e.path("op").asText()).toList());
        assertEquals("port 80 closed", events.get(0).path("reason").asText());
        assertEquals(7, events.get(1).path("id").asLong());
        assertEquals(3, events.get(2).path("epoch").asLong());
        assertEquals(0, Journal.read(file()).damagedLines());
    }

    @Test
    void missingJournalReadsAsEmpty() throws IOException {
        assertEquals(new Journal.Contents(List.of(), 0), Journal.read(file()));
    }

    @Test
    void tornLastLineIsSkippedAndCounted() throws IOException {
        try (Journal j = new Journal(file())) {
            j.append(Journal.protect(1, true, 1));
            j.append(Journal.protect(2, true, 2));
        }
        byte[] all = Files.readAllBytes(file());
        Files.write(file(), java.util.Arrays.copyOf(all, all.length - 5));
        Journal.Contents c = Journal.read(file());
        assertEquals(1, c.events().size());
        assertEquals(1, c.damagedLines());
    }

    @Test
    void lineWhoseCrcDoesNotMatchIsSkippedButLaterLinesRead() throws IOException {
        try (Journal j = new Journal(file())) {
            j.append(Journal.health(1, "good", "", 1));
            j.append(Journal.health(2, "good", "", 2));
            j.append(Journal.health(3, "good", "", 3));
        }
        String text = Files.readString(file());
        Files.writeString(file(), text.replaceFirst("\"id\":2", "\"id\":5"));
        Journal.Contents c = Journal.read(file());
        assertEquals(List.of(1L, 3L), c.events().stream().map(e -> e.path("id").asLong()).toList());
        assertEquals(1, c.damagedLines());
    }

    @Test
    void appendAfterATornLastLineStartsANewLine() throws IOException {
        Files.createDirectories(file().getParent());
        Files.writeString(file(), "deadbeef {\"op\":\"prot", StandardCharsets.UTF_8); // no newline: torn mid-line
        try (Journal j = new Journal(file())) {
            j.append(Journal.protect(9, true, 9));
        }
        Journal.Contents c = Journal.read(file());
        assertEquals(1, c.events().size());
        assertEquals(9, c.events().get(0).path("id").asLong());
        assertEquals(1, c.damagedLines());
    }

    @Test
    void rewriteReplacesTheWholeJournalAndAppendsContinueAfterIt() throws IOException {
        try (Journal j = new Journal(file())) {
            for (int i = 0; i < 100; i++) {
                j.append(Journal.health(i, "good", "", i));
            }
            j.rewrite(List.of(Journal.health(99, "good", "", 99), Journal.idsAbove(120, 200)));
            j.append(Journal.protect(99, true, 300));
        }
        Journal.Contents c = Journal.read(file());
        assertEquals(List.of("health", "ids_above", "protect"), c.events().stream().map(e -> e.path("op").asText()).toList());
        assertTrue(Files.notExists(file().resolveSibling(Journal.FILE + ".tmp")));
    }

    /**
     * Bit rot (or a torn write of a multi-byte character) can leave bytes that are not UTF-8: that
     * line is damaged like any other, and the lines around it still read (a rebuild needs them).
     */
    @Test
    void aLineThatIsNotUtf8IsSkippedAndCountedAndTheOthersRead() throws IOException {
        try (Journal j = new Journal(file())) {
            j.append(Journal.health(1, "bad", "d\u00e9j\u00e0 vu", 1));
            j.append(Journal.protect(2, true, 2));
            j.append(Journal.commit(3, "w1", 3));
        }
        byte[] all = Files.readAllBytes(file());
        int e = new String(all, StandardCharsets.ISO_8859_1).indexOf("\u00c3\u00a9"); // the first byte of "\u00e9" in UTF-8
        assertTrue(e > 0);
        all[e] = (byte) 0xff; // no UTF-8 sequence starts with 0xff
        Files.write(file(), all);
        Journal.Contents c = Journal.read(file());
        assertEquals(List.of("protect", "commit"), c.events().stream().map(x -> x.path("op").asText()).toList());
        assertEquals(1, c.damagedLines());
    }
}
