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
 */
public record HealthCheckConfig(Optional<CommandTemplate> command, Optional<String> process, When when) {
    /** Placeholders of a health command. */
    public static final Set<String> PLACEHOLDERS = Set.of(CommandTemplate.WPAR);

    public HealthCheckConfig {
        if (command.isEmpty() && process.isEmpty()) {
            throw new IllegalArgumentException("a health check needs a command, a process, or both");
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
