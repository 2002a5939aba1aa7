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
        assertEquals(100, c.verifySharePercent(), "by default a scheduled verify reads every pack");
        assertEquals(false, c.verifyFull());
    }

    @Test
    void scheduledVerifyReadsTheConfiguredShareOfThePacks(@TempDir Path dir) throws Exception {
        RetentionConfig c = load(dir, "schedule: { verify: 6h, verify-share: 10%, verify-full: true }\n");
        assertEquals(Optional.of(Duration.ofHours(6)), c.verifyEvery());
        assertEquals(10, c.verifySharePercent());
        assertEquals(true, c.verifyFull());
        assertEquals(1, load(dir, "schedule: { verify: 1d, verify-share: \" 1% \" }\n").verifySharePercent());
        assertEquals(100, load(dir, "schedule: { verify: 1d, verify-share: 100%, verify-full: false }\n").verifySharePercent());
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
            {"schedule: { verify-share: 0% }\n", "schedule.verify-share: '0%' is not a share of the packs (use a whole percentage from 1% to 100%"},
            {"schedule: { verify-share: 101% }\n", "schedule.verify-share: '101%' is not a share"},
            {"schedule: { verify-share: 10 }\n", "schedule.verify-share: '10' is not a share"},
            {"schedule: { verify-share: 0.1 }\n", "schedule.verify-share: '0.1' is not a share"},
            {"schedule: { verify-share: 2.5% }\n", "schedule.verify-share: '2.5%' is not a share"},
            {"schedule: { verify-full: sometimes }\n", "schedule.verify-full: 'sometimes' is not true or false"},
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

    @Test
    void configFileOverAMebibyteIsRefusedBeforeItIsParsed(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("server.yaml"), "#".repeat((1 << 20) + 1));
        InvalidPolicyException e = assertThrows(InvalidPolicyException.class,
                () -> RetentionConfig.load(f));
        assertEquals(f + ": file of 1048577 bytes, more than the limit of 1048576"
                + " (is this the server config?)", e.getMessage());
    }

    @Test
    void configNestedDeeperThanTheLimitIsRefusedNamingTheKey(@TempDir Path dir) {
        InvalidPolicyException e = assertThrows(InvalidPolicyException.class,
                () -> load(dir, "placement: {x: " + "[".repeat(20) + "]".repeat(20) + "}\n"));
        assertEquals("server.yaml: placement.x" + "[0]".repeat(14)
                + ": nested deeper than 16 levels", e.getMessage());
    }

    @Test
    void configListWithTooManyEntriesOrTooLongAValueIsRefused(@TempDir Path dir) {
        InvalidPolicyException many = assertThrows(InvalidPolicyException.class,
                () -> load(dir, "retention:\n  wpars: [" + "1,".repeat(5000) + "1]\n"));
        assertEquals("server.yaml: retention.wpars: 5001 entries, more than the limit of 4096",
                many.getMessage());
        InvalidPolicyException longOne = assertThrows(InvalidPolicyException.class,
                () -> load(dir, "retention:\n  time-zone: " + "x".repeat(70_000) + "\n"));
        assertEquals("server.yaml: retention.time-zone: value of 70000 characters, more than"
                + " the limit of 65536", longOne.getMessage());
    }
}
