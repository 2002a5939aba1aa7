package io.ckpt.retention;

import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import java.util.Set;

/**
 * One checkpoint of the WPAR being pruned, as the policy sees it.
 *
 * @param id the catalog id; among checkpoints taken at the same instant the higher id counts as newer
 * @param takenAt when the checkpoint was taken
 * @param health {@code good}, {@code bad} or {@code unknown}
 * @param labels its labels (words or KEY=VALUE)
 * @param protectedFlag protected by an operator: never removed
 * @param uploading still uploading: never removed, and not counted by any rule
 * @param inUse being read by a running restore or relocation: never removed
 */
public record Candidate(long id, Instant takenAt, String health, Set<String> labels, boolean protectedFlag,
        boolean uploading, boolean inUse) {

    public static final String GOOD = "good";

    public Candidate {
        Objects.requireNonNull(takenAt, "takenAt");
        Objects.requireNonNull(health, "health");
        labels = Set.copyOf(labels);
    }

    /** A complete checkpoint of unknown health, without labels or flags. */
    public static Candidate of(long id, Instant takenAt) {
        return new Candidate(id, takenAt, "unknown", Set.of(), false, false, false);
    }

    public Candidate withHealth(String newHealth) {
        return new Candidate(id, takenAt, newHealth, labels, protectedFlag, uploading, inUse);
    }

    public Candidate withLabels(Set<String> newLabels) {
        return new Candidate(id, takenAt, health, newLabels, protectedFlag, uploading, inUse);
    }

    public Candidate withProtected(boolean value) {
        return new Candidate(id, takenAt, health, labels, value, uploading, inUse);
    }

    public Candidate withUploading(boolean value) {
        return new Candidate(id, takenAt, health, labels, protectedFlag, value, inUse);
    }

    public Candidate withInUse(boolean value) {
        return new Candidate(id, takenAt, health, labels, protectedFlag, uploading, value);
    }

    public boolean isGood() {
        return GOOD.equals(health);
    }

    /**
     * Newest first: later {@code takenAt} first, and at the same instant the higher id first (the
     * order {@code io.ckpt.restore.Selection} uses for "newer").
     */
    static final Comparator<Candidate> NEWEST_FIRST =
            Comparator.comparing(Candidate::takenAt).thenComparingLong(Candidate::id).reversed();
}
