package io.ckpt.agent.config;

import io.ckpt.agent.schedule.Cadence;
import io.ckpt.agent.schedule.Schedule;
import io.ckpt.agent.schedule.SkipWindow;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;

/**
 * A WPAR's {@code schedule:} as configured, after the defaults are applied. A WPAR that sets {@code interval} or
 * {@code cron} replaces the default cadence; {@code jitter} and {@code skip} are inherited one by one.
 *
 * @param cadence {@code interval} (default {@code 1h}) or {@code cron}, never both in one mapping
 * @param jitter {@code jitter}, default {@code 0s}: the WPAR's runs are shifted by a fixed offset in {@code [0, jitter)}
 * @param skip {@code skip}, default none: {@code HH:MM-HH:MM} local-time windows in which no run starts
 */
public record ScheduleConfig(Cadence cadence, Duration jitter, List<SkipWindow> skip) {
    public static final ScheduleConfig DEFAULT = new ScheduleConfig(new Cadence.Every(Duration.ofHours(1)), Duration.ZERO, List.of());

    public ScheduleConfig {
        Objects.requireNonNull(cadence, "cadence");
        if (jitter.isNegative()) {
            throw new IllegalArgumentException("jitter must not be negative: " + jitter);
        }
        skip = List.copyOf(skip);
        SkipWindow.requireTimeToRun(skip);
    }

    /** The schedule of WPAR {@code wpar}, whose name seeds the jitter offset, with local times in {@code zone}. */
    public Schedule toSchedule(String wpar, ZoneId zone) {
        return Schedule.of(cadence, jitter, wpar, skip, zone);
    }
}
