package io.ckpt.agent.config;

import io.ckpt.agent.schedule.Schedule;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One WPAR the agent checkpoints (a {@code wpars:} item), with the defaults applied.
 *
 * @param name {@code name}, required: 1 to 64 of {@code [A-Za-z0-9_.-]}, starting with a letter or digit; unique
 * @param schedule {@code schedule}, default {@code defaults.schedule}
 * @param source {@code source}, required
 * @param filesystems {@code filesystems}, default none
 * @param health {@code health}, default none
 * @param restart {@code restart.command}: for {@code aix}, default {@link SourceConfig.Aix#DEFAULT_RESTART}; otherwise
 *     none unless set. May use {@code {wpar}}, {@code {statedir}}, {@code {logfile}}. Run by {@code ckpt restore
 *     --start} with {@code {statedir}} the restored statefile directory.
 * @param stop {@code stop.command}, default none: stops the WPAR when a restore started it and it did not come up
 *     healthy. May use {@code {wpar}}, {@code {logfile}}.
 * @param timeouts {@code timeouts}, each key defaulting to {@code defaults.timeouts}
 */
public record WparConfig(String name, ScheduleConfig schedule, SourceConfig source, List<FilesystemConfig> filesystems,
        Optional<HealthCheckConfig> health, Optional<CommandTemplate> restart, Optional<CommandTemplate> stop,
        Timeouts timeouts) {
    /** What the server accepts as a WPAR name, and so what the agent does. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    /** Placeholders of a restart command. */
    public static final Set<String> RESTART_PLACEHOLDERS = SourceConfig.STATEDIR_PLACEHOLDERS;
    /** Placeholders of a stop command: there is no state directory. */
    public static final Set<String> STOP_PLACEHOLDERS = Set.of(CommandTemplate.WPAR, CommandTemplate.LOGFILE);

    public WparConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(restart, "restart");
        Objects.requireNonNull(stop, "stop");
        Objects.requireNonNull(timeouts, "timeouts");
        filesystems = List.copyOf(filesystems);
    }

    /** This WPAR's schedule, its jitter seeded by its name, local times in {@code zone}. */
    public Schedule schedule(ZoneId zone) {
        return schedule.toSchedule(name, zone);
    }
}
