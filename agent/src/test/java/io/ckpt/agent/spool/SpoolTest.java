package io.ckpt.agent.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
    private static SpoolEntry add(Spool spool, String wpar, long takenAt, int bytes) throws IOException {
        Spool.Staging s = spool.stage(wpar);
        Files.createDirectories(s.parts().resolve("state"));
        Files.write(s.parts().resolve("state/mem.img"), new byte[bytes]);
        return s.commit(takenAt, "scheduled", "good", "", List.of());
    }

    @Test
    void entriesComeBackOldestFirstWithTheirMetadataAndADistinctKeyEach(@TempDir Path dir) throws IOException {
        Spool spool = new Spool(dir, 1 << 30, 10);
        SpoolEntry a = add(spool, "web01", 1000, 10);
        SpoolEntry b = add(spool, "db01", 2000, 20);
        List<SpoolEntry> all = spool.entries();
        assertEquals(List.of("web01", "db01"), all.stream().map(SpoolEntry::wpar).toList());
        assertEquals(1000, all.get(0).takenAtMillis());
        assertEquals("good", all.get(0).health());
        assertNotEquals(a.key(), b.key());
        assertTrue(Files.isRegularFile(all.get(1).parts().resolve("state/mem.img")));
    }

    @Test
    void reopenedSpoolKeepsEntriesAndContinuesTheSequence(@TempDir Path dir) throws IOException {
        Spool first = new Spool(dir, 1 << 30, 10);
        add(first, "web01", 1000, 10);
        Spool again = new Spool(dir, 1 << 30, 10);
        SpoolEntry next = add(again, "web01", 2000, 10);
        assertEquals(2, again.entries().size());
        assertTrue(next.seq() > again.entries().get(0).seq());
    }

    @Test
    void halfBuiltEntryLeftByACrashIsNeverListedAndIsCleanedAtStart(@TempDir Path dir) throws IOException {
        Spool spool = new Spool(dir, 1 << 30, 10);
        Spool.Staging s = spool.stage("web01");
        Files.write(s.parts().resolve("partial"), new byte[5]);
        assertTrue(spool.entries().isEmpty(), "a staging entry is not an entry");
        new Spool(dir, 1 << 30, 10);
        try (var l = Files.list(dir)) {
            assertEquals(0, l.count(), "staging removed at start");
        }
    }

    @Test
    void fullSpoolDropsTheOldestFirstNeverTheNewest(@TempDir Path dir) throws IOException {
        Spool spool = new Spool(dir, 1 << 30, 3);
        for (int i = 1; i <= 5; i++) {
            add(spool, "web01", i * 1000L, 10);
        }
        assertEquals(List.of(3000L, 4000L, 5000L), spool.entries().stream().map(SpoolEntry::takenAtMillis).toList());

        Spool bytes = new Spool(dir.resolve("b"), 2500, 100);
        add(bytes, "web01", 1, 1000);
        add(bytes, "web01", 2, 1000);
        add(bytes, "web01", 3, 1000);
        assertEquals(List.of(2L, 3L), bytes.entries().stream().map(SpoolEntry::takenAtMillis).toList());
        SpoolEntry huge = add(bytes, "web01", 4, 5000);
        assertEquals(List.of(4L), bytes.entries().stream().map(SpoolEntry::takenAtMillis).toList(),
                "an entry larger than the limit replaces the others but is itself kept");
        bytes.remove(huge);
        assertFalse(Files.exists(huge.dir()));
    }
}
