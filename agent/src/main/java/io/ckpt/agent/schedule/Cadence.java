package io.ckpt.agent.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;

/** The regular slots of a schedule before jitter and skip windows: a fixed interval, or a cron expression. */
public sealed interface Cadence {

    /** The first slot strictly after {@code t}, without jitter. */
    Instant slotAfter(Instant t, ZoneId zone);

    /**
     * Every {@code interval}, on a grid anchored at 1970-01-01T00:00Z: {@code 1h} is on the hour (UTC), {@code 1d}
     * at 00:00Z. The grid does not depend on when the agent started, so a restart keeps the phase.
     */
    record Every(Duration interval) implements Cadence {
        public Every {
            Objects.requireNonNull(interval, "interval");
            if (interval.toMillis() < 1000) {
                throw new IllegalArgumentException("interval must be at least 1s: " + interval);
            }
        }

        @Override
        public Instant slotAfter(Instant t, ZoneId zone) {
            long step = interval.toMillis();
            long k = Math.floorDiv(t.toEpochMilli(), step) + 1;
            return Instant.ofEpochMilli(Math.multiplyExact(k, step));
        }
    }

    /** The minutes a 5-field cron expression matches, in the schedule's time zone. */
    record Cron(CronExpression expression) implements Cadence {
        public Cron {
            Objects.requireNonNull(expression, "expression");
        }

        @Override
        public Instant slotAfter(Instant t, ZoneId zone) {
            return expression.nextAfter(t, zone);
        }
    }
}
