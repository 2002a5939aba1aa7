package io.ckpt.agent.config;

import java.time.Duration;

/**
 * How long each command of a WPAR may run before it is killed ({@code timeouts:}, in {@code defaults} or per WPAR;
 * a WPAR's keys override the defaults' one by one). Every timeout is more than 0.
 *
 * @param checkpoint the checkpoint source command ({@code checkpoint}, default {@code 10m})
 * @param filesystem each file-system capture ({@code filesystem}, default {@code 30m})
 * @param health each health check ({@code health}, default {@code 60s})
 * @param restart the restart command, and the stop command ({@code restart}, default {@code 10m})
 */
public record Timeouts(Duration checkpoint, Duration filesystem, Duration health, Duration restart) {
    public static final Timeouts DEFAULT = new Timeouts(Duration.ofMinutes(10), Duration.ofMinutes(30),
            Duration.ofSeconds(60), Duration.ofMinutes(10));

    public Timeouts {
        for (Duration d : new Duration[] {checkpoint, filesystem, health, restart}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeouts must be more than 0s: " + d);
            }
        }
    }
}
