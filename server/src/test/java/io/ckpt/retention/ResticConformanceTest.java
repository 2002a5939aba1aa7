package io.ckpt.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * restic's own {@code forget} policy cases (TestApplyPolicy and its golden files, see
 * {@code retention/restic-forget-cases.SOURCE.txt}): 103 snapshots, 40 policies, and the times of
 * the snapshots restic keeps for each, newest first. ckpt keeps the same, in UTC.
 */
final class ResticConformanceTest {
    private static final String CASES = "/retention/restic-forget-cases.json";

    @TestFactory
    Stream<DynamicTest> everyResticCaseKeepsWhatResticKeeps() throws IOException {
        JsonNode root = load();
        List<Candidate> candidates = candidates(root);
        JsonNode cases = root.get("cases");
        assertEquals(40, cases.size(), "restic's case count");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases) {
            RetentionPolicy policy = policy(c.get("policy"));
            List<Instant> expected = new ArrayList<>();
            c.get("expected_keep").forEach(t -> expected.add(Instant.parse(t.asText())));
            tests.add(dynamicTest("case " + c.get("case").asInt() + ": " + policy.describe(), () -> {
                RetentionPlan plan = RetentionPlan.compute(candidates, policy, ZoneOffset.UTC);
                List<Instant> kept = plan.kept().stream().map(d -> d.candidate().takenAt()).toList();
                assertEquals(expected, kept);
                assertEquals(candidates.size(), plan.kept().size() + plan.removed().size());
            }));
        }
        return tests.stream();
    }

    @Test
    void caseZeroIsTheEmptyPolicyWhichKeepsNothingAndPruneRefuses() throws IOException {
        JsonNode root = load();
        RetentionPolicy policy = policy(root.get("cases").get(0).get("policy"));
        assertTrue(policy.isEmpty());
        RetentionPlan plan = RetentionPlan.compute(candidates(root), policy, ZoneOffset.UTC);
        assertTrue(plan.kept().isEmpty());
        PruneRefusedException refused = assertThrows(PruneRefusedException.class, () -> plan.refuseIfRemovesAll(true));
        assertEquals(PruneRefusedException.Reason.EMPTY_POLICY, refused.reason());
    }

    @Test
    void everyOtherCaseIsNotEmpty() throws IOException {
        JsonNode cases = load().get("cases");
        for (int i = 1; i < cases.size(); i++) {
            assertFalse(policy(cases.get(i).get("policy")).isEmpty(), "case " + i);
        }
    }

    /** Case 39's reasons as restic's golden file policy_keep_snapshots_39 lists them. */
    @Test
    void caseThirtyNineGivesResticsReasonsIncludingTheOldest() throws IOException {
        JsonNode root = load();
        RetentionPlan plan = RetentionPlan.compute(candidates(root), policy(root.get("cases").get(39).get("policy")),
                ZoneOffset.UTC);
        List<Decision> kept = plan.kept();
        assertEquals(List.of("daily snapshot", "weekly snapshot", "monthly snapshot", "yearly snapshot"),
                kept.get(0).reasons());
        assertEquals(List.of("daily snapshot", "weekly snapshot"), kept.get(1).reasons());
        assertEquals(List.of("daily snapshot"), kept.get(2).reasons());
        assertEquals(List.of("monthly snapshot", "yearly snapshot"), kept.get(3).reasons());
        assertEquals(List.of("monthly snapshot"), kept.get(8).reasons());
        assertEquals(List.of("oldest monthly snapshot", "oldest yearly snapshot"), kept.get(11).reasons());
    }

    private static JsonNode load() throws IOException {
        try (InputStream in = ResticConformanceTest.class.getResourceAsStream(CASES)) {
            if (in == null) {
                throw new IOException("test resource " + CASES + " is missing");
            }
            return new ObjectMapper().readTree(in);
        }
    }

    /** The snapshots, in restic's order, as complete checkpoints of unknown health (so no last known good). */
    private static List<Candidate> candidates(JsonNode root) {
        List<Candidate> out = new ArrayList<>();
        long id = 1;
        for (JsonNode s : root.get("snapshots")) {
            Set<String> tags = new HashSet<>();
            s.get("tags").forEach(t -> tags.add(t.asText()));
            out.add(Candidate.of(id++, Instant.parse(s.get("time").asText())).withLabels(tags));
        }
        return out;
    }

    /** restic's option names with '_' become ckpt's keys with '-'; each tag list becomes one keep-label group. */
    private static RetentionPolicy policy(JsonNode json) {
        List<Map.Entry<String, String>> options = new ArrayList<>();
        json.fields().forEachRemaining(f -> {
            if (f.getKey().equals("keep_tags")) {
                for (JsonNode group : f.getValue()) {
                    List<String> labels = new ArrayList<>();
                    group.forEach(t -> labels.add(t.asText()));
                    options.add(Map.entry("keep-label", String.join(",", labels)));
                }
            } else {
                options.add(Map.entry(f.getKey().replace('_', '-'), f.getValue().asText()));
            }
        });
        return RetentionPolicy.parse(options);
    }
}
