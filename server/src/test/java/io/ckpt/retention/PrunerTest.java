package io.ckpt.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.ingest.ScratchDatastore;
import io.ckpt.restore.ReadersInUse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prune against a real catalog: a protect or a health mark that lands after the plan and before
 * the delete is honoured (issue 13: prune re-checks inside the delete transaction).
 */
final class PrunerTest {
    private static final long T = 1_700_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void checkpointProtectedBetweenPlanAndDeleteIsKept() throws IOException {
        try (ScratchDatastore s = ScratchDatastore.open(dir.resolve("ds"))) {
            long oldest = s.upload("web01", T, new byte[] {1}).id();
            long middle = s.upload("web01", T + 1000, new byte[] {2}).id();
            long newest = s.upload("web01", T + 2000, new byte[] {3}).id();
            Pruner pruner = new Pruner(s.catalog(), s.ds(), new ReadersInUse(), RetentionConfig.NONE);
            pruner.betweenPlanAndDelete(() -> write(s, h -> h.attach(CheckpointDao.class).setProtected(oldest, true)));

            JsonNode out = pruner.prune("web01", RetentionPolicy.of("keep-last", "1"), false, false);

            assertEquals(List.of(newest, oldest), ids(s, "web01"), "checkpoint " + middle + " removed, " + oldest
                    + " protected after the plan and kept: " + out);
            assertEquals(List.of(middle), removed(out), out::toString);
        }
    }

    @Test
    void newestGoodMarkedBadBetweenPlanAndDeleteLeavesTheOlderGoodOne() throws IOException {
        try (ScratchDatastore s = ScratchDatastore.open(dir.resolve("ds"))) {
            long older = s.upload("web01", T, new byte[] {1}).id();
            long newer = s.upload("web01", T + 1000, new byte[] {2}).id();
            write(s, h -> h.attach(CheckpointDao.class).setHealth(older, "good", "", T));
            write(s, h -> h.attach(CheckpointDao.class).setHealth(newer, "good", "", T));
            Pruner pruner = new Pruner(s.catalog(), s.ds(), new ReadersInUse(), RetentionConfig.NONE);
            // The plan keeps only the newest (the last known good); then it is found bad.
            pruner.betweenPlanAndDelete(() -> write(s, h -> h.attach(CheckpointDao.class).setHealth(newer, "bad", "crashes", T)));

            JsonNode out = pruner.prune("web01", RetentionPolicy.of("keep-last", "1"), false, false);

            assertEquals(List.of(newer, older), ids(s, "web01"),
                    "checkpoint " + older + " is the WPAR's last known good now and stays: " + out);
            assertEquals(List.of(), removed(out), out::toString);
        }
    }

    private static List<Long> removed(JsonNode out) {
        return java.util.stream.StreamSupport.stream(out.path("wpars").path(0).path("remove").spliterator(), false)
                .map(r -> r.path("id").asLong()).toList();
    }

    /** The WPAR's checkpoint ids, newest first. */
    private static List<Long> ids(ScratchDatastore s, String wpar) throws IOException {
        return s.catalog().read(h -> h.attach(CheckpointDao.class).listAll(wpar)).stream()
                .sorted((a, b) -> Long.compare(b.takenAt(), a.takenAt())).map(CheckpointRow::id).toList();
    }

    private static void write(ScratchDatastore s, io.ckpt.catalog.Catalog.Work<Integer> work) {
        try {
            s.catalog().write(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
