package io.ckpt.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.alert.Alerts.Alert;
import io.ckpt.alert.Alerts.Severity;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The alert registry: raise keeps the first-seen time, clear ends it, checks run before a query. */
final class AlertsTest {
    /** A clock the test moves by hand. */
    private static final class StepClock extends Clock {
        Instant now = Instant.parse("2026-11-26T07:00:00.123456Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final StepClock clock = new StepClock();
    private final Alerts alerts = new Alerts(clock);

    @Test
    void raisingAgainKeepsSinceAndTakesTheNewMessage() {
        alerts.raise(Alerts.DISK_RESERVE, Severity.CRITICAL, "only 3.0 MiB free");
        clock.now = clock.now.plusSeconds(60);
        alerts.raise(Alerts.DISK_RESERVE, Severity.CRITICAL, "only 2.0 MiB free");

        assertEquals(List.of(new Alert(Alerts.DISK_RESERVE, Severity.CRITICAL,
                Instant.parse("2026-11-26T07:00:00.123Z"), "only 2.0 MiB free")), alerts.active());
    }

    @Test
    void clearEndsOnlyItsKeyAndARaiseAfterItStartsAfresh() {
        alerts.raise(Alerts.GC_FAILED, Severity.WARNING, "gc: disk I/O error");
        alerts.raise(Alerts.VERIFY_DAMAGE, Severity.CRITICAL, "1 chunk(s), checkpoints [7]");
        alerts.clear(Alerts.GC_FAILED, "next gc succeeded");
        alerts.clear(Alerts.PRUNE_FAILED, "never raised: nothing happens");

        assertFalse(alerts.isActive(Alerts.GC_FAILED));
        assertEquals(List.of(Alerts.VERIFY_DAMAGE), alerts.active().stream().map(Alert::key).toList());

        clock.now = clock.now.plusSeconds(3600);
        alerts.raise(Alerts.GC_FAILED, Severity.WARNING, "gc failed again");
        Alert again = alerts.active().get(1);
        assertEquals(Alerts.GC_FAILED, again.key(), "listed in the order raised");
        assertEquals(Instant.parse("2026-11-26T08:00:00.123Z"), again.since(), "since is the new raise, not the first");
    }

    @Test
    void currentRunsTheChecksFirstAndSurvivesAFailingOne() {
        AtomicBoolean spaceBack = new AtomicBoolean();
        alerts.raise(Alerts.DISK_RESERVE, Severity.CRITICAL, "only 3.0 MiB free");
        alerts.addCheck(() -> {
            throw new IllegalStateException("statfs failed");
        });
        alerts.addCheck(() -> {
            if (spaceBack.get()) {
                alerts.clear(Alerts.DISK_RESERVE, "space is back");
            }
        });

        assertTrue(alerts.current().stream().anyMatch(a -> a.key().equals(Alerts.DISK_RESERVE)));
        assertTrue(alerts.isActive(Alerts.DISK_RESERVE), "active() alone runs no check");
        spaceBack.set(true);
        assertTrue(alerts.isActive(Alerts.DISK_RESERVE));
        assertEquals(List.of(), alerts.current());
    }
}
