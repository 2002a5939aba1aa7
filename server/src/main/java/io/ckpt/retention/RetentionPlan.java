package io.ckpt.retention;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The outcome of a retention policy over the checkpoints of one WPAR: for each checkpoint, keep
 * (with the rules that keep it) or remove. Pure: plain lists in, plain lists out, no clock.
 *
 * <p>The policy rules run as restic's {@code ApplyPolicy} runs them, over the complete checkpoints
 * (uploading ones are not counted), newest first, the within-rules counted back from the newest
 * of them. Each checkpoint's reasons come in this order: {@code label A,B} for each label group it
 * matches, {@code within 30d}, then {@code last snapshot}, {@code hourly snapshot}, {@code daily
 * snapshot}, {@code weekly snapshot}, {@code monthly snapshot}, {@code yearly snapshot}, then
 * {@code hourly within 2d} ... {@code yearly within 5y} (a bucket rule that keeps the oldest
 * checkpoint only because it had counts left says {@code oldest daily snapshot}, {@code oldest
 * daily within 7d}), then {@code good}; last the safeguards, which no policy overrides: {@code last
 * known good}, {@code protected}, {@code uploading}, {@code in use}.
 */
public final class RetentionPlan {
    private final RetentionPolicy policy;
    private final List<Decision> decisions;
    private final Candidate lastKnownGood;

    private RetentionPlan(RetentionPolicy policy, List<Decision> decisions, Candidate lastKnownGood) {
        this.policy = policy;
        this.decisions = List.copyOf(decisions);
        this.lastKnownGood = lastKnownGood;
    }

    /**
     * Applies {@code policy} to {@code candidates}, the complete and the uploading checkpoints of
     * one WPAR, reading calendar buckets and counting durations in {@code zone}.
     *
     * @throws IllegalArgumentException if two candidates share an id
     */
    public static RetentionPlan compute(List<Candidate> candidates, RetentionPolicy policy, ZoneId zone) {
        Set<Long> ids = new HashSet<>();
        for (Candidate c : candidates) {
            if (!ids.add(c.id())) {
                throw new IllegalArgumentException("checkpoint " + c.id() + " is listed twice");
            }
        }
        List<Candidate> newestFirst = new ArrayList<>(candidates);
        newestFirst.sort(Candidate.NEWEST_FIRST);
        List<Candidate> counted = newestFirst.stream().filter(c -> !c.uploading()).toList();
        Candidate lkg = counted.stream().filter(Candidate::isGood).findFirst().orElse(null);

        List<List<String>> policyReasons = new PolicyRun(policy, zone, counted).reasons();
        List<Decision> decisions = new ArrayList<>();
        int nr = 0;
        for (Candidate c : newestFirst) {
            List<String> why = new ArrayList<>(c.uploading() ? List.of() : policyReasons.get(nr++));
            if (lkg != null && c.id() == lkg.id()) {
                why.add("last known good");
            }
            if (c.protectedFlag()) {
                why.add("protected");
            }
            if (c.uploading()) {
                why.add("uploading");
            }
            if (c.inUse()) {
                why.add("in use");
            }
            decisions.add(new Decision(c, !why.isEmpty(), why));
        }
        return new RetentionPlan(policy, decisions, lkg);
    }

    public RetentionPolicy policy() {
        return policy;
    }

    /** Every candidate, newest first. */
    public List<Decision> decisions() {
        return decisions;
    }

    public List<Decision> kept() {
        return decisions.stream().filter(Decision::keep).toList();
    }

    public List<Decision> removed() {
        return decisions.stream().filter(d -> !d.keep()).toList();
    }

    /** The newest complete good checkpoint, which the plan always keeps. */
    public Optional<Candidate> lastKnownGood() {
        return Optional.ofNullable(lastKnownGood);
    }

    /** The plan removes at least one complete checkpoint and keeps none (uploading ones do not count as kept). */
    public boolean removesEverything() {
        boolean removesSome = decisions.stream().anyMatch(d -> !d.keep());
        boolean keepsComplete = decisions.stream().anyMatch(d -> d.keep() && !d.candidate().uploading());
        return removesSome && !keepsComplete;
    }

    /**
     * Stops a prune that must not run: always when the policy is empty (as restic's {@code forget}
     * removes nothing without a policy), and, unless {@code force}, when it would remove every
     * complete checkpoint of the WPAR.
     */
    public void refuseIfRemovesAll(boolean force) throws PruneRefusedException {
        if (policy.isEmpty()) {
            throw new PruneRefusedException(PruneRefusedException.Reason.EMPTY_POLICY,
                    "the retention policy is empty: it keeps nothing, so prune refuses to apply it");
        }
        if (removesEverything() && !force) {
            throw new PruneRefusedException(PruneRefusedException.Reason.REMOVES_ALL, "the retention policy ("
                    + policy.describe() + ") would remove all " + removed().size()
                    + " checkpoints and keep none; prune refuses unless forced");
        }
    }

    /** One pass of the policy rules over the complete checkpoints, newest first, as restic's ApplyPolicy. */
    private static final class PolicyRun {
        private final RetentionPolicy policy;
        private final ZoneId zone;
        private final List<Candidate> newestFirst;

        PolicyRun(RetentionPolicy policy, ZoneId zone, List<Candidate> newestFirst) {
            this.policy = policy;
            this.zone = zone;
            this.newestFirst = newestFirst;
        }

        /** The policy's reasons for each checkpoint, in the order of {@code newestFirst}; empty = not kept. */
        List<List<String>> reasons() {
            List<List<String>> out = new ArrayList<>();
            if (newestFirst.isEmpty()) {
                return out;
            }
            Instant newest = newestFirst.get(0).takenAt();
            Instant within = policy.keepWithin().isZero() ? null : policy.keepWithin().countBackFrom(newest, zone);
            List<Counter> counters = List.of(
                    new Counter(null, policy.keepLast()),
                    new Counter(CalendarBucket.HOURLY, policy.keepHourly()),
                    new Counter(CalendarBucket.DAILY, policy.keepDaily()),
                    new Counter(CalendarBucket.WEEKLY, policy.keepWeekly()),
                    new Counter(CalendarBucket.MONTHLY, policy.keepMonthly()),
                    new Counter(CalendarBucket.YEARLY, policy.keepYearly()));
            List<WithinBucket> withinBuckets = List.of(
                    new WithinBucket(CalendarBucket.HOURLY, policy.keepWithinHourly(), newest, zone),
                    new WithinBucket(CalendarBucket.DAILY, policy.keepWithinDaily(), newest, zone),
                    new WithinBucket(CalendarBucket.WEEKLY, policy.keepWithinWeekly(), newest, zone),
                    new WithinBucket(CalendarBucket.MONTHLY, policy.keepWithinMonthly(), newest, zone),
                    new WithinBucket(CalendarBucket.YEARLY, policy.keepWithinYearly(), newest, zone));
            int goodLeft = policy.keepGood();

            for (int nr = 0; nr < newestFirst.size(); nr++) {
                Candidate c = newestFirst.get(nr);
                boolean oldest = nr == newestFirst.size() - 1;
                ZonedDateTime local = c.takenAt().atZone(zone);
                List<String> why = new ArrayList<>();
                for (Set<String> group : policy.keepLabelGroups()) {
                    if (c.labels().containsAll(group)) {
                        why.add("label " + String.join(",", group));
                    }
                }
                if (within != null && c.takenAt().isAfter(within)) {
                    why.add("within " + policy.keepWithin());
                }
                for (Counter counter : counters) {
                    counter.offer(nr, local, oldest, why);
                }
                for (WithinBucket bucket : withinBuckets) {
                    bucket.offer(c.takenAt(), local, oldest, why);
                }
                if (goodLeft != 0 && c.isGood()) {
                    why.add("good");
                    if (goodLeft > 0) {
                        goodLeft--;
                    }
                }
                out.add(why);
            }
            return out;
        }
    }

    /**
     * A counted rule (keep-last, keep-hourly ... keep-yearly): keeps a checkpoint whose bucket
     * differs from the bucket of the last checkpoint it kept, while counts are left (-1: always);
     * also keeps the oldest checkpoint if counts are left when it gets there. keep-last has no
     * calendar bucket: every checkpoint is a bucket of its own.
     */
    private static final class Counter {
        private final CalendarBucket bucket;
        private int left;
        private boolean keptAny;
        private long lastKey;

        Counter(CalendarBucket bucket, int count) {
            this.bucket = bucket;
            this.left = count;
        }

        void offer(int nr, ZonedDateTime local, boolean oldest, List<String> why) {
            if (left == 0) {
                return;
            }
            long key = bucket == null ? nr : bucket.key(local);
            boolean fresh = !keptAny || key != lastKey;
            if (fresh || oldest) {
                String reason = (bucket == null ? "last" : bucket.word()) + " snapshot";
                why.add(fresh ? reason : "oldest " + reason);
                keptAny = true;
                lastKey = key;
                if (left > 0) {
                    left--;
                }
            }
        }
    }

    /**
     * A keep-within-hourly ... keep-within-yearly rule: among the checkpoints taken after the span
     * counted back from the newest, keeps one per bucket, as a counted rule with no limit would.
     */
    private static final class WithinBucket {
        private final CalendarBucket bucket;
        private final RetentionDuration span;
        private final Instant after;
        private boolean keptAny;
        private long lastKey;

        WithinBucket(CalendarBucket bucket, RetentionDuration span, Instant newest, ZoneId zone) {
            this.bucket = bucket;
            this.span = span;
            this.after = span.isZero() ? null : span.countBackFrom(newest, zone);
        }

        void offer(Instant takenAt, ZonedDateTime local, boolean oldest, List<String> why) {
            if (after == null || !takenAt.isAfter(after)) {
                return;
            }
            long key = bucket.key(local);
            boolean fresh = !keptAny || key != lastKey;
            if (fresh || oldest) {
                String reason = bucket.word() + " within " + span;
                why.add(fresh ? reason : "oldest " + reason);
                keptAny = true;
                lastKey = key;
            }
        }
    }
}
