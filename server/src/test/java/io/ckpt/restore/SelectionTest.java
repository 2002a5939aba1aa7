package io.ckpt.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ckpt.catalog.CheckpointRow;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which checkpoint {@code --at TIME} and {@code --latest} mean, over plain lists. */
final class SelectionTest {
    private static CheckpointRow row(long id, long takenAt, String state) {
        return new CheckpointRow(id, "web01", takenAt, "scheduled", state, "unknown", false, "h", 0, 0, 0, 0, 1, takenAt,
                "complete".equals(state) ? takenAt + 1 : null);
    }

    private static CheckpointRow complete(long id, long takenAt) {
        return row(id, takenAt, "complete");
    }

    private static CheckpointRow good(long id, long takenAt) {
        return new CheckpointRow(id, "web01", takenAt, "scheduled", "complete", "good", false, "h", 0, 0, 0, 0, 1, takenAt,
                takenAt + 1);
    }

    /** What a fallback tries after {@code failed}: the newest good checkpoint older than it. */
    private static Optional<Long> goodOlderThan(List<CheckpointRow> rows, CheckpointRow failed) {
        return Selection.lastKnownGood(Selection.olderThan(rows, failed)).map(CheckpointRow::id);
    }

    private static Optional<Long> atOrBefore(List<CheckpointRow> rows, long time) {
        return Selection.newestAtOrBefore(rows, time).map(CheckpointRow::id);
    }

    private static Optional<Long> newest(List<CheckpointRow> rows) {
        return Selection.newest(rows).map(CheckpointRow::id);
    }

    private static CheckpointRow of(long id, long takenAt, String kind, String health) {
        return new CheckpointRow(id, "web01", takenAt, kind, "complete", health, false, "h", 0, 0, 0, 0, 1, takenAt, takenAt + 1);
    }

    @Test
    void resumePointIsANewestFinalCheckpointElseTheLastKnownGood() {
        CheckpointRow good = of(1, 100, "scheduled", "good");
        CheckpointRow later = of(2, 200, "scheduled", "unknown");
        CheckpointRow fin = of(3, 300, "final", "unknown");
        assertEquals(Optional.of(3L), Selection.resumePoint(List.of(good, later, fin)).map(CheckpointRow::id),
                "a planned stop: continue from its final checkpoint");
        assertEquals(Optional.of(1L), Selection.resumePoint(List.of(good, later)).map(CheckpointRow::id),
                "after a crash: the last known good, not the newest");
        assertEquals(Optional.of(1L), Selection.resumePoint(List.of(good, of(3, 300, "final", "bad"))).map(CheckpointRow::id),
                "a final checkpoint marked bad is not resumed");
        assertEquals(Optional.of(1L), Selection.resumePoint(List.of(of(0, 50, "final", "unknown"), good, later))
                .map(CheckpointRow::id), "an older final checkpoint is history, not the resume point");
        assertEquals(Optional.empty(), Selection.resumePoint(List.of(later)));
    }

    @Test
    void emptyListSelectsNothing() {
        assertEquals(Optional.empty(), atOrBefore(List.of(), 1000));
        assertEquals(Optional.empty(), newest(List.of()));
    }

    @Test
    void atOrBeforeTakesTheNewestNotAfterTheTime() {
        List<CheckpointRow> rows = List.of(complete(1, 100), complete(2, 200), complete(3, 300));
        assertEquals(Optional.of(2L), atOrBefore(rows, 250));
        assertEquals(Optional.of(3L), atOrBefore(rows, 10_000));
    }

    @Test
    void checkpointTakenExactlyAtTheTimeCounts() {
        List<CheckpointRow> rows = List.of(complete(1, 100), complete(2, 200));
        assertEquals(Optional.of(2L), atOrBefore(rows, 200));
        assertEquals(Optional.of(1L), atOrBefore(rows, 199));
    }

    @Test
    void timeBeforeTheFirstCheckpointSelectsNothing() {
        assertEquals(Optional.empty(), atOrBefore(List.of(complete(1, 100), complete(2, 200)), 99));
    }

    @Test
    void orderOfTheListDoesNotMatter() {
        List<CheckpointRow> rows = List.of(complete(3, 300), complete(1, 100), complete(2, 200));
        assertEquals(Optional.of(2L), atOrBefore(rows, 299));
        assertEquals(Optional.of(3L), newest(rows));
    }

    @Test
    void tieOnTakenAtGoesToTheLaterId() {
        List<CheckpointRow> rows = List.of(complete(7, 200), complete(9, 200), complete(8, 200), complete(1, 100));
        assertEquals(Optional.of(9L), atOrBefore(rows, 200));
        assertEquals(Optional.of(9L), newest(rows));
    }

    @Test
    void checkpointsThatAreNotCompleteAreIgnored() {
        List<CheckpointRow> rows = List.of(complete(1, 100), row(2, 200, "uploading"), row(3, 300, "failed"));
        assertEquals(Optional.of(1L), newest(rows));
        assertEquals(Optional.of(1L), atOrBefore(rows, 250));
        assertEquals(Optional.empty(), newest(List.of(row(4, 100, "uploading"), row(5, 200, "failed"))));
    }

    @Test
    void newestIsTheNewestOfAll() {
        assertEquals(Optional.of(2L), newest(List.of(complete(1, 100), complete(2, Long.MAX_VALUE))));
        assertEquals(Optional.of(1L), newest(List.of(complete(1, Long.MIN_VALUE))));
    }

    @Test
    void fallbackAfterACheckpointTakesTheNewestGoodOlderThanIt() {
        CheckpointRow g1 = good(1, 100);
        CheckpointRow u2 = complete(2, 200);
        CheckpointRow g3 = good(3, 300);
        CheckpointRow g4 = good(4, 400);
        List<CheckpointRow> rows = List.of(g4, u2, g1, g3);
        assertEquals(Optional.of(3L), goodOlderThan(rows, g4), "skips nothing good: the one just before");
        assertEquals(Optional.of(1L), goodOlderThan(rows, g3), "skips the one of unknown health");
        assertEquals(Optional.of(1L), goodOlderThan(rows, u2));
        assertEquals(Optional.empty(), goodOlderThan(rows, g1), "nothing is older than the first");
    }

    @Test
    void olderThanOrdersByTimeTakenThenIdNotByIdAlone() {
        // 5 was uploaded later (higher id) but taken earlier than 4: it is the older one.
        CheckpointRow g4 = good(4, 400);
        CheckpointRow g5 = good(5, 300);
        CheckpointRow g6 = good(6, 400);
        List<CheckpointRow> rows = List.of(g4, g5, g6);
        assertEquals(Optional.of(5L), goodOlderThan(rows, g4));
        assertEquals(Optional.of(4L), goodOlderThan(rows, g6), "same time taken: the lower id is the older");
        assertEquals(List.of(), Selection.olderThan(rows, g5));
    }
}
