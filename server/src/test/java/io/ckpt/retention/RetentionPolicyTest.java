package io.ckpt.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Policies from configuration keys, and the clear errors for invalid ones. */
final class RetentionPolicyTest {

    @Test
    void everyKeyParses() {
        RetentionPolicy p = RetentionPolicy.of(
                "keep-last", "3", "keep-hourly", "24", "keep-daily", "7", "keep-weekly", "4", "keep-monthly", "-1",
                "keep-yearly", "unlimited", "keep-within", "2d", "keep-within-hourly", "1d", "keep-within-daily", "7d",
                "keep-within-weekly", "1m", "keep-within-monthly", "1y", "keep-within-yearly", "10y",
                "keep-good", "2", "keep-label", "web, tier1", "keep-label", "pre-upgrade");
        assertEquals(3, p.keepLast());
        assertEquals(24, p.keepHourly());
        assertEquals(7, p.keepDaily());
        assertEquals(4, p.keepWeekly());
        assertEquals(-1, p.keepMonthly());
        assertEquals(-1, p.keepYearly());
        assertEquals(new RetentionDuration(0, 0, 2, 0), p.keepWithin());
        assertEquals(new RetentionDuration(10, 0, 0, 0), p.keepWithinYearly());
        assertEquals(2, p.keepGood());
        assertEquals(List.of(Set.of("web", "tier1"), Set.of("pre-upgrade")), p.keepLabelGroups());
        assertEquals("keep-last 3, keep-hourly 24, keep-daily 7, keep-weekly 4, keep-monthly unlimited, "
                + "keep-yearly unlimited, keep-within 2d, keep-within-hourly 1d, keep-within-daily 7d, "
                + "keep-within-weekly 1m, keep-within-monthly 1y, keep-within-yearly 10y, keep-good 2, "
                + "keep-label web,tier1, keep-label pre-upgrade", p.describe());
    }

    @Test
    void noKeysIsTheEmptyPolicy() {
        assertTrue(RetentionPolicy.of().isEmpty());
        assertTrue(RetentionPolicy.of("keep-daily", "0", "keep-within", "0d").isEmpty());
        assertEquals("empty policy (keeps nothing)", RetentionPolicy.EMPTY.describe());
        assertFalse(RetentionPolicy.of("keep-good", "1").isEmpty());
        assertFalse(RetentionPolicy.of("keep-label", "web").isEmpty());
        assertFalse(RetentionPolicy.of("keep-within-yearly", "1y").isEmpty());
    }

    @Test
    void negativeCountOtherThanMinusOneIsAClearError() {
        assertEquals("keep-daily: -2 is not a count (use N >= 0, or -1 for unlimited)",
                assertThrows(InvalidPolicyException.class, () -> RetentionPolicy.of("keep-daily", "-2")).getMessage());
        assertEquals("keep-good: -5 is not a count (use N >= 0, or -1 for unlimited)",
                assertThrows(InvalidPolicyException.class, () -> RetentionPolicy.of("keep-good", "-5")).getMessage());
    }

    @Test
    void countThatIsNotANumberIsAClearError() {
        assertEquals("keep-last: 'ten' is not a count (use N >= 0, or -1 for unlimited)",
                assertThrows(InvalidPolicyException.class, () -> RetentionPolicy.of("keep-last", "ten")).getMessage());
        assertThrows(InvalidPolicyException.class, () -> RetentionPolicy.of("keep-last", "99999999999"));
    }

    @Test
    void unknownKeyIsAClearErrorListingTheKnownOnes() {
        InvalidPolicyException e = assertThrows(InvalidPolicyException.class,
                () -> RetentionPolicy.of("keep-dayly", "7"));
        assertEquals("unknown retention key 'keep-dayly' (known: keep-last, keep-hourly, keep-daily, keep-weekly, "
                + "keep-monthly, keep-yearly, keep-within, keep-within-hourly, keep-within-daily, keep-within-weekly, "
                + "keep-within-monthly, keep-within-yearly, keep-good, keep-label)", e.getMessage());
        assertThrows(InvalidPolicyException.class, () -> RetentionPolicy.of("keep-tag", "web"));
    }

    @Test
    void unparsableDurationNamesItsKey() {
        InvalidPolicyException e = assertThrows(InvalidPolicyException.class,
                () -> RetentionPolicy.of("keep-within-weekly", "4w"));
        assertTrue(e.getMessage().startsWith("keep-within-weekly: '4w' is not a duration (unknown unit 'w'"),
                e.getMessage());
    }

    @Test
    void aKeyOtherThanKeepLabelMayAppearOnce() {
        assertEquals("keep-daily: given more than once ('7', '8')",
                assertThrows(InvalidPolicyException.class,
                        () -> RetentionPolicy.of("keep-daily", "7", "keep-daily", "8")).getMessage());
    }

    @Test
    void labelGroupsRejectEmptyLabels() {
        assertThrows(InvalidPolicyException.class, () -> RetentionPolicy.of("keep-label", ""));
        assertThrows(InvalidPolicyException.class, () -> RetentionPolicy.of("keep-label", "web,,db"));
        assertThrows(InvalidPolicyException.class, () -> RetentionPolicy.of("keep-label", "web,"));
        assertThrows(InvalidPolicyException.class, () -> RetentionPolicy.of("keep-label", "=x"));
        assertThrows(InvalidPolicyException.class, () -> RetentionPolicy.of("keep-label", "tab\there"));
    }

    @Test
    void recordValidatesToo() {
        RetentionDuration z = RetentionDuration.ZERO;
        assertThrows(InvalidPolicyException.class,
                () -> new RetentionPolicy(0, 0, 0, -3, 0, 0, z, z, z, z, z, z, 0, List.of()));
        assertThrows(InvalidPolicyException.class,
                () -> new RetentionPolicy(0, 0, 0, 0, 0, 0, z, z, z, z, z, z, 0, List.of(Set.of())));
        assertThrows(InvalidPolicyException.class,
                () -> new RetentionPolicy(0, 0, 0, 0, 0, 0, z, null, z, z, z, z, 0, List.of()));
        assertThrows(InvalidPolicyException.class,
                () -> new RetentionPolicy(0, 0, 0, 0, 0, 0, z, z, z, z, z, z, 0, List.of(Set.of("a,b"))));
    }

    @Test
    void keyValueLabelsAndSpacesAroundThemAreFine() {
        RetentionPolicy p = RetentionPolicy.parse(List.of(Map.entry("keep-label", " env=prod , ticket=42 ")));
        assertEquals(List.of(Set.of("env=prod", "ticket=42")), p.keepLabelGroups());
    }
}
