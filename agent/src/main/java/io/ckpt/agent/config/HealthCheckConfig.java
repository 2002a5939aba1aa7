package io.ckpt.agent.config;

import java.util.Optional;
import java.util.Set;

/**
 * A WPAR's health check ({@code health:}), run around its checkpoint: healthy when {@code command} exits 0 and
 * {@code process} is running. At least one of the two is set.
 *
 * @param command {@code command}, may use {@code {wpar}}
 * @param process {@code process}: a process name that must be running
 * @param when {@code when}: {@code before}, {@code after} (default) or {@code both}
 * @param restartWait {@code wait}: after a restart (relocation, failover, {@code ckpt restore --start}, PowerHA), how long
 *     the check is repeated (every 2 s) before the WPAR counts as unhealthy; default {@link #DEFAULT_WAIT}; 0s: one check
 */
public record HealthCheckConfig(Optional<CommandTemplate> command, Optional<String> process, When when,
        java.time.Duration restartWait) {
    /** A slowly starting application gets a minute before its checkpoint is marked bad (issue 20). */
    public static final java.time.Duration DEFAULT_WAIT = java.time.Duration.ofSeconds(60);

    /** With the default {@code wait}. */
    public HealthCheckConfig(Optional<CommandTemplate> command, Optional<String> process, When when) {
        this(command, process, when, DEFAULT_WAIT);
    }

    /** Placeholders of a health command. */
    public static final Set<String> PLACEHOLDERS = Set.of(CommandTemplate.WPAR);

    public HealthCheckConfig {
        if (command.isEmpty() && process.isEmpty()) {
            throw new IllegalArgumentException("a health check needs a command, a process, or both");
        }
        if (restartWait.isNegative()) {
            throw new IllegalArgumentException("wait must not be negative: " + restartWait);
        }
    }

    /** When the check runs relative to the checkpoint. */
    public enum When {
        BEFORE, AFTER, BOTH;

        public boolean before() {
            return this != AFTER;
        }

        public boolean after() {
            return this != BEFORE;
        }
    }
}
