package io.ckpt.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetentionConfigTest {
    private static RetentionConfig load(Path dir, String yaml) throws Exception {
        return RetentionConfig.load(Files.writeString(dir.resolve("server.yaml"), yaml));
    }

    @Test
    void firstMatchingRuleWinsElseTheDefault(@TempDir Path dir) throws Exception {
        RetentionConfig c = load(dir, """
                retention:
                  time-zone: Europe/Berlin
                  default: { keep-hourly: 24, keep-daily: 7 }
                  wpars:
                    - { match: "db*", policy: { keep-daily: 30, keep-label: [release, "env=prod,tier=1"] } }
                    - { match: "d?01", policy: { keep-last: 1 } }
                schedule: { prune: 1h, gc: 1d, verify: off }
                """);
        assertEquals(ZoneId.of("Europe/Berlin"), c.zone());
        assertEquals(30, c.policyFor("db01").orElseThrow().keepDaily());
        assertEquals(2, c.policyFor("db01").orElseThrow().keepLabelGroups().size());
        assertEquals(1, c.policyFor("dx01").orElseThrow().keepLast());
        assertEquals(24, c.policyFor("web01").orElseThrow().keepHourly());
        assertEquals(Optional.of(Duration.ofHours(1)), c.pruneEvery());
        assertEquals(Optional.of(Duration.ofDays(1)), c.gcEvery());
        assertEquals(Optional.empty(), c.verifyEvery());
    }

    @Test
    void noDefaultMeansNoPolicyForUnmatchedWpars(@TempDir Path dir) throws Exception {
        RetentionConfig c = load(dir, "retention:\n  wpars:\n    - { match: web*, policy: { keep-last: 3 } }\n");
        assertTrue(c.policyFor("db01").isEmpty());
        assertEquals(3, c.policyFor("web7").orElseThrow().keepLast());
    }

    @Test
    void everyMistakeNamesTheFileAndTheKey(@TempDir Path dir) {
        String[][] cases = {
            {"retention:\n  default: { keep-daily: -2 }\n", "server.yaml: retention.default: keep-daily: -2"},
            {"retention:\n  default: { keep-dayly: 2 }\n", "unknown retention key 'keep-dayly'"},
            {"retention:\n  default: { keep-within: 3x }\n", "retention.default: keep-within"},
            {"retention:\n  default: { keep-last: 0 }\n", "retention.default: the policy keeps nothing"},
            {"retention:\n  time-zone: Mars/Olympus\n", "retention.time-zone: 'Mars/Olympus' is not a time zone"},
            {"retention:\n  wpars:\n    - { match: db* }\n", "retention.wpars[0]: needs both 'match'"},
            {"retention:\n  wpars:\n    - { match: db*, policy: { keep-last: 1 }, extra: 1 }\n", "retention.wpars[0]: unknown key 'extra'"},
            {"schedule: { prune: sometimes }\n", "schedule.prune: 'sometimes' is not an interval"},
            {"schedule: { backup: 1h }\n", "schedule: unknown key 'backup'"},
            {"retain: {}\n", "(top level): unknown key 'retain'"},
        };
        for (String[] c : cases) {
            InvalidPolicyException e = assertThrows(InvalidPolicyException.class, () -> load(dir, c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void emptyFileIsNoConfig(@TempDir Path dir) throws Exception {
        assertEquals(RetentionConfig.NONE, load(dir, ""));
    }
}
