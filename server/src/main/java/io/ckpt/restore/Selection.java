package io.ckpt.restore;

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

    /**
     * The last known good checkpoint: the newest complete one whose health is good. A checkpoint
     * marked bad later (a restore that did not come up healthy) drops out, so the one before it
     * becomes the LKG.
     */
    public static Optional<CheckpointRow> lastKnownGood(List<CheckpointRow> checkpoints) {
        CheckpointRow best = null;
        for (CheckpointRow c : checkpoints) {
            if (c.isComplete() && c.isGood() && (best == null || newer(c, best))) {
                best = c;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * Where a WPAR resumes when a cluster manager starts it: the newest checkpoint when it is a
     * final one (kind {@code final}: taken by a planned stop or move, so the WPAR stopped right
     * after it and nothing was lost) and not marked bad; otherwise the last known good (after a
     * crash the newest may be the damage itself).
     */
    public static Optional<CheckpointRow> resumePoint(List<CheckpointRow> checkpoints) {
        Optional<CheckpointRow> newest = newest(checkpoints);
        if (newest.isPresent() && "final".equals(newest.get().kind()) && !"bad".equals(newest.get().health())) {
            return newest;
        }
        return lastKnownGood(checkpoints);
    }

    /**
     * The checkpoints older than {@code ref} in the order restores use (by time taken, then id):
     * what a fallback may still try once {@code ref} did not come up healthy. With {@link
     * #lastKnownGood} this is "the newest good checkpoint older than ref".
     */
    public static List<CheckpointRow> olderThan(List<CheckpointRow> checkpoints, CheckpointRow ref) {
        return checkpoints.stream().filter(c -> newer(ref, c)).toList();
    }

    /** The id of each WPAR's last known good checkpoint among {@code checkpoints}. */
    public static java.util.Set<Long> lastKnownGoodIds(List<CheckpointRow> checkpoints) {
        java.util.Map<String, CheckpointRow> best = new java.util.HashMap<>();
        for (CheckpointRow c : checkpoints) {
            if (c.isComplete() && c.isGood()) {
                best.merge(c.wpar(), c, (a, b) -> newer(b, a) ? b : a);
            }
        }
        java.util.Set<Long> ids = new java.util.HashSet<>();
        best.values().forEach(c -> ids.add(c.id()));
        return ids;
    }

    private static boolean newer(CheckpointRow a, CheckpointRow b) {
        return a.takenAt() > b.takenAt() || (a.takenAt() == b.takenAt() && a.id() > b.id());
    }
}
