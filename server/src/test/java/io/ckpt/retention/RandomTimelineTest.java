package io.ckpt.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random timelines over two years (bursts, quiet weeks, checkpoints sharing an instant,
 * both DST changes of each year) under random policies: RetentionPlan agrees with
 * {@link NaiveRetention}, rule by rule and reason by reason, in UTC and in Europe/Berlin.
 */
final class RandomTimelineTest {
    private static final Instant START = Instant.parse("2022-01-01T00:00:00Z");
    private static final Instant END = Instant.parse("2024-01-01T00:00:00Z");
    private static final List<String> LABELS = List.of("web", "db", "tier1", "env=prod", "env=test");
    private static final int TIMELINES = 400;

    @ParameterizedTest
    @ValueSource(strings = {"UTC", "Europe/Berlin"})
    void planAgreesWithTheNaiveReferenceOnRandomTimelinesAndPolicies(String zoneName) {
        ZoneId zone = ZoneId.of(zoneName);
        Set<String> seen = new HashSet<>();
        for (long seed = 1; seed <= TIMELINES; seed++) {
            long timelineSeed = seed;
            Random random = new Random(seed * 7919 + zoneName.hashCode());
            List<Candidate> timeline = timeline(random);
            for (int p = 0; p < 5; p++) {
                RetentionPolicy policy = policy(random);
                RetentionPlan plan = RetentionPlan.compute(timeline, policy, zone);
                Map<Long, List<String>> expected = NaiveRetention.reasons(timeline, policy, zone);
                for (Decision d : plan.decisions()) {
                    assertEquals(expected.get(d.candidate().id()), d.reasons(), () -> "seed " + timelineSeed + " zone "
                            + zone + " policy [" + policy.describe() + "] checkpoint " + d.candidate());
                }
                assertEquals(timeline.size(), plan.decisions().size());
                plan.decisions().forEach(d -> d.reasons().forEach(r -> seen.add(r.replaceAll("(within|label) .*", "$1"))));
            }
        }
        // the timelines reach every rule, including the oldest-checkpoint case of each bucket rule
        for (String kind : List.of("label", "within", "last snapshot", "good", "last known good", "protected",
                "uploading", "in use")) {
            assertTrue(seen.contains(kind), kind);
        }
        for (String bucket : List.of("hourly", "daily", "weekly", "monthly", "yearly")) {
            for (String kind : List.of("", "oldest ")) {
                assertTrue(seen.contains(kind + bucket + " snapshot"), kind + bucket + " snapshot");
                assertTrue(seen.contains(kind + bucket + " within"), kind + bucket + " within");
            }
        }
    }

    /** The plan depends on the set of checkpoints, not on the order the caller lists them in. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void planIgnoresTheOrderOfItsInput(long seed) {
        Random random = new Random(seed);
        List<Candidate> timeline = timeline(random);
        RetentionPolicy policy = policy(random);
        List<Decision> first = RetentionPlan.compute(timeline, policy, ZoneOffset.UTC).decisions();
        List<Candidate> shuffled = new ArrayList<>(timeline);
        Collections.shuffle(shuffled, random);
        assertEquals(first, RetentionPlan.compute(shuffled, policy, ZoneOffset.UTC).decisions());
    }

    private static List<Candidate> timeline(Random random) {
        int n = 1 + random.nextInt(random.nextBoolean() ? 30 : 400);
        long span = Duration.between(START, END).toSeconds();
        List<Long> ids = new ArrayList<>();
        for (long id = 1; id <= n; id++) {
            ids.add(id * 10 + random.nextInt(10));
        }
        Collections.shuffle(ids, random);
        List<Candidate> out = new ArrayList<>();
        Instant t = START.plusSeconds((long) (random.nextDouble() * span / 2));
        for (int i = 0; i < n; i++) {
            switch (random.nextInt(6)) {
                case 0 -> { } // the same instant as the previous checkpoint
                case 1 -> t = t.plusSeconds(60 + random.nextInt(3 * 3600)); // a burst
                case 2 -> t = t.plusSeconds(3600L * (1 + random.nextInt(48))); // on the hour
                case 3 -> t = t.plusSeconds(86_400L * (7 + random.nextInt(30)) + random.nextInt(86_400)); // quiet
                default -> t = START.plusSeconds((long) (random.nextDouble() * span)); // anywhere
            }
            t = t.isAfter(END) ? END : t;
            Set<String> labels = new HashSet<>();
            for (String l : LABELS) {
                if (random.nextInt(4) == 0) {
                    labels.add(l);
                }
            }
            String health = List.of("good", "bad", "unknown").get(random.nextInt(3));
            out.add(new Candidate(ids.get(i), t, health, labels, random.nextInt(30) == 0, random.nextInt(25) == 0,
                    random.nextInt(40) == 0));
        }
        return out;
    }

    private static RetentionPolicy policy(Random random) {
        List<Map.Entry<String, String>> options = new ArrayList<>();
        for (String key : List.of("keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly",
                "keep-yearly", "keep-good")) {
            if (random.nextInt(4) == 0) {
                options.add(Map.entry(key, Integer.toString(random.nextInt(8) == 0 ? -1 : random.nextInt(15))));
            }
        }
        for (String key : List.of("keep-within", "keep-within-hourly", "keep-within-daily", "keep-within-weekly",
                "keep-within-monthly", "keep-within-yearly")) {
            if (random.nextInt(5) == 0) {
                options.add(Map.entry(key, duration(random)));
            }
        }
        while (random.nextInt(5) == 0) {
            List<String> group = new ArrayList<>();
            group.add(LABELS.get(random.nextInt(LABELS.size())));
            if (random.nextBoolean()) {
                group.add(LABELS.get(random.nextInt(LABELS.size())));
            }
            options.add(Map.entry("keep-label", String.join(",", group)));
        }
        return RetentionPolicy.parse(options);
    }

    private static String duration(Random random) {
        StringBuilder s = new StringBuilder();
        String[] units = {"y", "m", "d", "h"};
        int[] limits = {3, 14, 40, 72};
        for (int i = 0; i < units.length; i++) {
            if (random.nextInt(3) == 0) {
                s.append(random.nextInt(limits[i])).append(units[i]);
            }
        }
        return s.isEmpty() ? (1 + random.nextInt(30)) + "d" : s.toString();
    }
}
