package io.ckpt.retention;

import java.util.List;

/**
 * What a prune does with one checkpoint: keep it, with every rule that keeps it (in the order
 * {@link RetentionPlan} documents), or remove it, with no reasons.
 */
public record Decision(Candidate candidate, boolean keep, List<String> reasons) {
    public Decision {
        reasons = List.copyOf(reasons);
        if (keep == reasons.isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + candidate.id() + ": a kept checkpoint needs a reason "
                    + "and a removed one has none, got keep=" + keep + " reasons=" + reasons);
        }
    }
}
