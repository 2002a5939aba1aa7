package io.ckpt.retention;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What a plan keeps and why: the policy rules, the safeguards no policy overrides, and the refusals. */
final class RetentionPlanTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    /** Checkpoint {@code id} taken {@code hours} hours after T0. */
    private static Candidate at(long id, long hours) {
        return Candidate.of(id, T0.plusSeconds(3600 * hours));
    }

    private static RetentionPlan plan(RetentionPolicy policy, Candidate... candidates) {
        return RetentionPlan.compute(List.of(candidates), policy, ZoneOffset.UTC);
    }

    private static Map<Long, List<String>> reasons(RetentionPlan plan) {
        return plan.decisions().stream().collect(Collectors.toMap(d -> d.candidate().id(), Decision::reasons));
    }

    private static List<Long> keptIds(RetentionPlan plan) {
        return plan.kept().stream().map(d -> d.candidate().id()).toList();
    }

    @Test
    void lastKnownGoodProtectedUploadingAndInUseSurviveKeepLastOne() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-last", "1"),
                at(1, 0).withHealth("good"),          // the last known good: the newest complete good one
                at(2, 1).withProtected(true),
                at(3, 2).withInUse(true),
                at(4, 3),                              // removed
                at(5, 4).withHealth("bad"),            // the newest complete: keep-last 1
                at(6, 5).withUploading(true));
        Map<Long, List<String>> why = reasons(plan);
        assertEquals(List.of("last known good"), why.get(1L));
        assertEquals(List.of("protected"), why.get(2L));
        assertEquals(List.of("in use"), why.get(3L));
        assertEquals(List.of(), why.get(4L));
        assertEquals(List.of("last snapshot"), why.get(5L));
        assertEquals(List.of("uploading"), why.get(6L));
        assertEquals(List.of(6L, 5L, 3L, 2L, 1L), keptIds(plan));
        assertEquals(1L, plan.lastKnownGood().orElseThrow().id());
    }

    @Test
    void anUploadingCheckpointIsNotCountedByAnyRule() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-last", "1", "keep-within", "2h"),
                at(1, 0), at(2, 10), at(3, 11), at(4, 12).withUploading(true).withHealth("good"));
        Map<Long, List<String>> why = reasons(plan);
        assertEquals(List.of("uploading"), why.get(4L));
        assertEquals(List.of("within 2h", "last snapshot"), why.get(3L)); // the newest complete one counts
        assertEquals(List.of("within 2h"), why.get(2L));                  // within 2h of 11h, not of 12h
        assertEquals(List.of(), why.get(1L));
        assertTrue(plan.lastKnownGood().isEmpty(), "an uploading checkpoint is not the last known good");
    }

    @Test
    void keepGoodKeepsTheNNewestGoodOnes() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-good", "2"),
                at(1, 0).withHealth("good"), at(2, 1).withHealth("good"), at(3, 2).withHealth("bad"),
                at(4, 3).withHealth("good"), at(5, 4).withHealth("unknown"),
                at(6, 5).withHealth("good").withUploading(true));
        Map<Long, List<String>> why = reasons(plan);
        assertEquals(List.of("good", "last known good"), why.get(4L));
        assertEquals(List.of("good"), why.get(2L));
        assertEquals(List.of(), why.get(1L));
        assertEquals(List.of(), why.get(3L));
        assertEquals(List.of(), why.get(5L));
    }

    @Test
    void keepGoodUnlimitedKeepsEveryGoodOne() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-good", "-1"),
                at(1, 0).withHealth("good"), at(2, 1).withHealth("bad"), at(3, 2).withHealth("good"));
        assertEquals(List.of(3L, 1L), keptIds(plan));
    }

    @Test
    void aLabelGroupNeedsAllItsLabels() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-label", "web,tier1", "keep-label", "env=prod"),
                at(1, 0).withLabels(Set.of("web")),
                at(2, 1).withLabels(Set.of("web", "tier1")),
                at(3, 2).withLabels(Set.of("tier1", "web", "env=prod")),
                at(4, 3).withLabels(Set.of("env=prod")),
                at(5, 4).withLabels(Set.of("env=test", "tier1")));
        Map<Long, List<String>> why = reasons(plan);
        assertEquals(List.of(), why.get(1L));
        assertEquals(List.of("label web,tier1"), why.get(2L));
        assertEquals(List.of("label web,tier1", "label env=prod"), why.get(3L));
        assertEquals(List.of("label env=prod"), why.get(4L));
        assertEquals(List.of(), why.get(5L));
    }

    @Test
    void reasonsComeInTheDocumentedOrder() {
        RetentionPolicy policy = RetentionPolicy.of("keep-label", "web", "keep-within", "1d", "keep-last", "1",
                "keep-hourly", "1", "keep-daily", "1", "keep-weekly", "1", "keep-monthly", "1", "keep-yearly", "1",
                "keep-within-hourly", "1d", "keep-within-daily", "1d", "keep-within-weekly", "1d",
                "keep-within-monthly", "1d", "keep-within-yearly", "1d", "keep-good", "1");
        Candidate newest = at(9, 30).withLabels(Set.of("web")).withHealth("good").withProtected(true).withInUse(true);
        RetentionPlan plan = plan(policy, at(1, 0), newest);
        assertEquals(List.of("label web", "within 1d", "last snapshot", "hourly snapshot", "daily snapshot",
                "weekly snapshot", "monthly snapshot", "yearly snapshot", "hourly within 1d", "daily within 1d",
                "weekly within 1d", "monthly within 1d", "yearly within 1d", "good", "last known good", "protected",
                "in use"), reasons(plan).get(9L));
    }

    @Test
    void aBucketRuleWithCountsLeftKeepsTheOldestToo() {
        // two days, keep-daily 5: the newest of each day, and the oldest checkpoint with counts left
        RetentionPlan plan = plan(RetentionPolicy.of("keep-daily", "5"), at(1, 0), at(2, 1), at(3, 2), at(4, 24));
        Map<Long, List<String>> why = reasons(plan);
        assertEquals(List.of("daily snapshot"), why.get(4L));
        assertEquals(List.of("daily snapshot"), why.get(3L));
        assertEquals(List.of(), why.get(2L));
        assertEquals(List.of("oldest daily snapshot"), why.get(1L));
    }

    @Test
    void aBucketRuleWithNoCountsLeftDoesNotKeepTheOldest() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-daily", "2"), at(1, 0), at(2, 1), at(3, 24));
        assertEquals(List.of(3L, 2L), keptIds(plan));
    }

    @Test
    void atTheSameInstantTheHigherIdIsTheNewer() {
        Candidate a = at(7, 0);
        Candidate b = at(8, 0);
        assertEquals(List.of(8L), keptIds(plan(RetentionPolicy.of("keep-last", "1"), a, b)));
        assertEquals(List.of(8L), keptIds(plan(RetentionPolicy.of("keep-last", "1"), b, a)));
        assertEquals(List.of(8L), keptIds(plan(RetentionPolicy.of("keep-daily", "1"), a, b)));
    }

    @Test
    void decisionsListEveryCandidateNewestFirst() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-last", "2"), at(1, 0), at(3, 2), at(2, 1), at(4, 3));
        assertEquals(List.of(4L, 3L, 2L, 1L), plan.decisions().stream().map(d -> d.candidate().id()).toList());
        assertEquals(List.of(2L, 1L), plan.removed().stream().map(d -> d.candidate().id()).toList());
        assertTrue(plan.removed().stream().allMatch(d -> d.reasons().isEmpty()));
    }

    @Test
    void aPolicyThatWouldRemoveEverythingIsRefusedUnlessForced() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-label", "tpyo"), at(1, 0), at(2, 1).withHealth("bad"));
        assertTrue(plan.removesEverything());
        PruneRefusedException e = assertThrows(PruneRefusedException.class, () -> plan.refuseIfRemovesAll(false));
        assertEquals(PruneRefusedException.Reason.REMOVES_ALL, e.reason());
        assertEquals("the retention policy (keep-label tpyo) would remove all 2 checkpoints and keep none; "
                + "prune refuses unless forced", e.getMessage());
        assertDoesNotThrow(() -> plan.refuseIfRemovesAll(true));
    }

    @Test
    void keepingOnlyAnUploadingCheckpointStillCountsAsRemovingEverything() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-label", "tpyo"), at(1, 0), at(2, 1).withUploading(true));
        assertTrue(plan.removesEverything());
    }

    @Test
    void theLastKnownGoodAloneMeansNotEverythingIsRemoved() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-label", "tpyo"), at(1, 0).withHealth("good"), at(2, 1));
        assertFalse(plan.removesEverything());
        assertDoesNotThrow(() -> plan.refuseIfRemovesAll(false));
    }

    @Test
    void theEmptyPolicyIsRefusedEvenWhenForced() {
        RetentionPlan plan = plan(RetentionPolicy.EMPTY, at(1, 0), at(2, 1));
        assertEquals(List.of(), plan.kept());
        PruneRefusedException e = assertThrows(PruneRefusedException.class, () -> plan.refuseIfRemovesAll(true));
        assertEquals(PruneRefusedException.Reason.EMPTY_POLICY, e.reason());
    }

    @Test
    void noCandidatesMakeAnEmptyPlanThatRemovesNothing() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-last", "1"));
        assertEquals(List.of(), plan.decisions());
        assertFalse(plan.removesEverything());
        assertTrue(plan.lastKnownGood().isEmpty());
    }

    @Test
    void onlyUploadingCandidatesAreAllKept() {
        RetentionPlan plan = plan(RetentionPolicy.of("keep-within", "1d"), at(1, 0).withUploading(true));
        assertEquals(List.of(1L), keptIds(plan));
        assertFalse(plan.removesEverything());
    }

    @Test
    void aCheckpointListedTwiceIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> plan(RetentionPolicy.of("keep-last", "1"), at(1, 0), at(1, 1)));
    }

    @Test
    void keepLastCountsEveryCheckpointEvenInOneHour() {
        List<Candidate> minutes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            minutes.add(Candidate.of(i, T0.plusSeconds(60L * i)));
        }
        RetentionPlan last = RetentionPlan.compute(minutes, RetentionPolicy.of("keep-last", "3"), ZoneOffset.UTC);
        RetentionPlan hourly = RetentionPlan.compute(minutes, RetentionPolicy.of("keep-hourly", "3"), ZoneOffset.UTC);
        assertEquals(List.of(9L, 8L, 7L), keptIds(last));
        Map<Long, List<String>> why = hourly.decisions().stream()
                .collect(Collectors.toMap(d -> d.candidate().id(), Decision::reasons));
        assertEquals(List.of("hourly snapshot"), why.get(9L));
        assertEquals(List.of("oldest hourly snapshot"), why.get(0L));
        assertEquals(2, hourly.kept().size());
    }

    @Test
    void aDecisionMustMatchItsReasons() {
        Candidate c = at(1, 0);
        assertThrows(IllegalArgumentException.class, () -> new Decision(c, true, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new Decision(c, false, List.of("protected")));
    }

    @Test
    void thePlanKeepsItsPolicy() {
        RetentionPolicy policy = RetentionPolicy.of("keep-daily", "7");
        assertEquals(policy, plan(policy, at(1, 0)).policy());
    }
}
