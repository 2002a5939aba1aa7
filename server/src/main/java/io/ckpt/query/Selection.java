package io.ckpt.query;

import io.ckpt.catalog.CheckpointRow;
import java.util.List;
import java.util.Optional;

/** Which checkpoint a restore means, decided over a plain list of complete checkpoints. */
public final class Selection {
    private Selection() {}

    /** The newest complete checkpoint taken at or before {@code timeMillis}; ties go to the later id. */
    public static Optional<CheckpointRow> newestAtOrBefore(List<CheckpointRow> checkpoints, long timeMillis) {
        CheckpointRow best = null;
        for (CheckpointRow c : checkpoints) {
            if (c.isComplete() && c.takenAt() <= timeMillis && (best == null || newer(c, best))) {
                best = c;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The newest complete checkpoint. */
    public static Optional<CheckpointRow> newest(List<CheckpointRow> checkpoints) {
        return newestAtOrBefore(checkpoints, Long.MAX_VALUE);
    }

    private static boolean newer(CheckpointRow a, CheckpointRow b) {
        return a.takenAt() > b.takenAt() || (a.takenAt() == b.takenAt() && a.id() > b.id());
    }
}
