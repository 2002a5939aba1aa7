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
        return add(spool, wpar, takenAt, bytes, "scheduled", "good");
    }

    private static SpoolEntry add(Spool spool, String wpar, long takenAt, int bytes, String kind, String health)
            throws IOException {
        Spool.Staging s = spool.stage(wpar);
        Files.createDirectories(s.parts().resolve("state"));
        Files.write(s.parts().resolve("state/mem.img"), new byte[bytes]);
        return s.commit(takenAt, kind, health, "", List.of());
    }

    /**
     * Issue 18, bug 2: the size of an entry counted what its symbolic links point to (139,965,930
     * bytes for a 3.4 MB entry), so links made the spool drop checkpoints early. A link is its
     * own few bytes, never its target's size.
     */
    @Test
    void anEntrysSizeCountsItsOwnFilesNotTheTargetsOfItsLinks(@TempDir Path dir) throws IOException {
        Path big = Files.write(dir.resolve("outside.img"), new byte[1 << 20]);
        Spool spool = new Spool(dir.resolve("spool"), 1L << 40, 10);
        Spool.Staging s = spool.stage("web01");
        Files.createDirectories(s.parts().resolve("fs/data"));
        Files.write(s.parts().resolve("fs/data/real.bin"), new byte[4096]);
        for (int i = 0; i < 16; i++) {
            Files.createSymbolicLink(s.parts().resolve("fs/data/link" + i), big);
        }
        Files.createSymbolicLink(s.parts().resolve("fs/dirlink"), dir);
        SpoolEntry e = s.commit(1000, "scheduled", "good", "", List.of());
        assertTrue(e.bytes() >= 4096 && e.bytes() < 64 << 10,
                "the entry holds 4 KiB of file and 17 links, not " + e.bytes() + " bytes");
        assertEquals(e.bytes(), spool.entries().get(0).bytes(), "the same size when the entry is read back");
    }

    private static List<String> names(Spool spool) throws IOException {
        return spool.entries().stream().map(e -> e.wpar() + "@" + e.takenAtMillis() + ":" + e.kind() + ":" + e.health()).toList();
    }

    /**
     * An outage (issue 20, defect 4): web01 checkpoints often, db01 was stopped by a final
     * checkpoint and app01 has one good one. web01 filling the spool must not push out db01's
     * final checkpoint (the only copy of its last state) nor app01's only good checkpoint: the
     * WPAR with the most entries pays.
     */
    @Test
    void aFrequentWparNeverPushesOutAnotherWparsFinalOrOnlyGoodCheckpoint(@TempDir Path dir) throws IOException {
        Spool spool = new Spool(dir, 1 << 30, 4);
        add(spool, "app01", 1, 10, "scheduled", "good");
        add(spool, "db01", 2, 10, "final", "good");
        for (int t = 3; t <= 12; t++) {
            add(spool, "web01", t, 10);
        }
        assertEquals(List.of("app01@1:scheduled:good", "db01@2:final:good", "web01@11:scheduled:good",
                "web01@12:scheduled:good"), names(spool));
    }

    /** A WPAR over its own limit loses its own oldest entries; the others are untouched; each drop is told. */
    @Test
    void aWparOverItsOwnLimitLosesOnlyItsOwnEntriesAndEachDropIsReported(@TempDir Path dir) throws IOException {
        List<Spool.Dropped> dropped = new java.util.ArrayList<>();
        Spool spool = new Spool(dir, 1 << 30, 100, 2, dropped::add);
        add(spool, "db01", 1, 10, "scheduled", "bad");
        for (int t = 2; t <= 5; t++) {
            add(spool, "web01", t, 10, "scheduled", "bad");
        }
        assertEquals(List.of("db01@1:scheduled:bad", "web01@4:scheduled:bad", "web01@5:scheduled:bad"), names(spool));
        assertEquals(List.of(2L, 3L), dropped.stream().map(Spool.Dropped::takenAtMillis).toList());
        assertTrue(dropped.get(0).reason().contains("WPAR web01 has 3 spooled checkpoints, limit 2"), dropped.get(0).reason());
        assertFalse(dropped.get(0).protectedEntry());
    }

    /** When only protected entries are left, the oldest of them goes, and the drop says so. */
    @Test
    void aFinalCheckpointIsDroppedOnlyWhenNothingElseIsLeftAndThatIsReported(@TempDir Path dir) throws IOException {
        List<Spool.Dropped> dropped = new java.util.ArrayList<>();
        Spool spool = new Spool(dir, 1 << 30, 2, 2, dropped::add);
        add(spool, "db01", 1, 10, "final", "good");
        add(spool, "web01", 2, 10, "final", "good");
        add(spool, "app01", 3, 10, "final", "good");
        assertEquals(List.of("web01@2:final:good", "app01@3:final:good"), names(spool));
        assertEquals(1, dropped.size());
        assertTrue(dropped.get(0).protectedEntry() && dropped.get(0).kind().equals("final"), dropped.toString());
    }

    /** Within one WPAR, its newest good checkpoint goes last: bad ones after it go first. */
    @Test
    void theNewestGoodCheckpointOfAWparIsDroppedLast(@TempDir Path dir) throws IOException {
        Spool spool = new Spool(dir, 1 << 30, 3);
        add(spool, "app01", 1, 10, "scheduled", "good");
        add(spool, "app01", 2, 10, "scheduled", "bad");
        add(spool, "app01", 3, 10, "scheduled", "bad");
        add(spool, "app01", 4, 10, "scheduled", "bad");
        assertEquals(List.of("app01@1:scheduled:good", "app01@3:scheduled:bad", "app01@4:scheduled:bad"), names(spool));
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
