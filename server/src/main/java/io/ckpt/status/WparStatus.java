package io.ckpt.status;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import io.ckpt.catalog.WparDao;
import io.ckpt.restore.Selection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One WPAR as the status page and the metrics see it, computed from the catalog's rows by
 * {@link #of} (pure: plain lists in, plain records out).
 *
 * @param last         newest complete checkpoint, or null
 * @param lkg          last known good (newest complete and good), or null
 * @param storedBytes  bytes its complete checkpoints added to packs when uploaded
 * @param intervalMillis observed checkpoint interval: the median gap between its last
 *                     {@value #INTERVAL_SAMPLES} complete checkpoints, or 0 with fewer than two
 */
public record WparStatus(String name, String owner, long epoch, int complete, int uploading, CheckpointRow last,
        CheckpointRow lkg, long logicalBytes, long storedBytes, long intervalMillis) {
    static final int INTERVAL_SAMPLES = 11;

    /** Per WPAR, in name order: {@code rows} are any checkpoints of any state, oldest first (as the DAO lists them). */
    public static List<WparStatus> of(List<WparDao.Owner> owners, List<CheckpointRow> rows) {
        Map<String, List<CheckpointRow>> byWpar = new LinkedHashMap<>();
        owners.stream().map(WparDao.Owner::name).sorted().forEach(n -> byWpar.put(n, new ArrayList<>()));
        for (CheckpointRow r : rows) {
            byWpar.computeIfAbsent(r.wpar(), k -> new ArrayList<>()).add(r);
        }
        Map<String, WparDao.Owner> ownerOf = new LinkedHashMap<>();
        owners.forEach(o -> ownerOf.put(o.name(), o));
        List<WparStatus> out = new ArrayList<>();
        for (var e : byWpar.entrySet()) {
            List<CheckpointRow> done = e.getValue().stream().filter(CheckpointRow::isComplete).toList();
            WparDao.Owner o = ownerOf.get(e.getKey());
            out.add(new WparStatus(e.getKey(), o == null ? null : o.ownerHost(), o == null ? 0 : o.epoch(), done.size(),
                    e.getValue().size() - done.size(), Selection.newest(done).orElse(null),
                    Selection.lastKnownGood(done).orElse(null),
                    done.stream().mapToLong(CheckpointRow::logicalBytes).sum(),
                    done.stream().mapToLong(CheckpointRow::storedBytes).sum(), medianGap(done)));
        }
        return out;
    }

    /** Median gap between the last {@value #INTERVAL_SAMPLES} checkpoints (oldest first), 0 with fewer than two. */
    static long medianGap(List<CheckpointRow> done) {
        long[] times = done.stream().mapToLong(CheckpointRow::takenAt).sorted().toArray();
        int from = Math.max(0, times.length - INTERVAL_SAMPLES);
        if (times.length - from < 2) {
            return 0;
        }
        long[] gaps = new long[times.length - from - 1];
        for (int i = 0; i < gaps.length; i++) {
            gaps[i] = times[from + i + 1] - times[from + i];
        }
        Arrays.sort(gaps);
        return gaps[gaps.length / 2];
    }

    /** Reads the WPARs and their checkpoints (any state) in one catalog read and applies {@link #of}. */
    public static List<WparStatus> read(Catalog catalog) throws java.io.IOException {
        return catalog.read(h -> of(h.attach(WparDao.class).owners(), h.attach(CheckpointDao.class).listAll()));
    }
}
