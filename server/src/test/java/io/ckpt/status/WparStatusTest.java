package io.ckpt.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.WparDao;
import java.util.List;
import org.junit.jupiter.api.Test;

class WparStatusTest {
    private static CheckpointRow cp(long id, String wpar, long takenAtSeconds, String state, String health) {
        return new CheckpointRow(id, wpar, takenAtSeconds * 1000, "scheduled", state, health, false, "nodeA", 100 * id,
                10 * id, 1, 1, 1, 0, state.equals("complete") ? takenAtSeconds * 1000 : null);
    }

    @Test
    void lastAndLastKnownGoodCountsAndSizesComeFromCompleteCheckpointsOnly() {
        List<WparStatus> s = WparStatus.of(
                List.of(new WparDao.Owner("web01", "nodeA", 3), new WparDao.Owner("db01", null, 0)),
                List.of(cp(1, "web01", 100, "complete", "good"), cp(2, "web01", 200, "complete", "bad"),
                        cp(3, "web01", 300, "uploading", "unknown")));
        assertEquals(List.of("db01", "web01"), s.stream().map(WparStatus::name).toList());
        WparStatus db = s.get(0);
        assertEquals(0, db.complete());
        assertNull(db.last());
        assertNull(db.lkg());
        WparStatus web = s.get(1);
        assertEquals("nodeA", web.owner());
        assertEquals(3, web.epoch());
        assertEquals(2, web.complete());
        assertEquals(1, web.uploading());
        assertEquals(2, web.last().id());
        assertEquals(1, web.lkg().id());
        assertEquals(300, web.logicalBytes());
        assertEquals(30, web.storedBytes());
        assertEquals(100_000, web.intervalMillis());
    }

    @Test
    void intervalIsTheMedianGapOfTheLastElevenCheckpoints() {
        // An old gap of a day is past the window; of the last eleven, one late checkpoint does not move the median.
        long[] times = {0, 86_400, 86_460, 86_520, 86_580, 86_640, 86_700, 86_760, 86_820, 86_880, 86_940, 87_300};
        List<CheckpointRow> rows = new java.util.ArrayList<>();
        for (int i = 0; i < times.length; i++) {
            rows.add(cp(i + 1, "w", times[i], "complete", "good"));
        }
        assertEquals(60_000, WparStatus.medianGap(rows));
        assertEquals(0, WparStatus.medianGap(rows.subList(0, 1)));
    }
}
