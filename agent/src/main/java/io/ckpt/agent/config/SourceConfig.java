package io.ckpt.agent.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** How a WPAR's checkpoint is produced ({@code source:}), one record per {@code preset}. */
public sealed interface SourceConfig {
    /** Placeholders of a command that writes a state directory. */
    Set<String> STATEDIR_PLACEHOLDERS = Set.of(CommandTemplate.WPAR, CommandTemplate.STATEDIR, CommandTemplate.LOGFILE);
    /** Placeholders of a command whose standard output is the image: there is no state directory. */
    Set<String> STREAM_PLACEHOLDERS = Set.of(CommandTemplate.WPAR, CommandTemplate.LOGFILE);

    /** The preset's name as the config writes it. */
    String preset();

    /**
     * {@code preset: aix}: {@code chkptwpar} writes the WPAR's state into {@code {statedir}}, which is uploaded; the
     * restore side runs {@code restartwpar}. The flags are UNCONFIRMED (see AIX-NOTES.md): override {@code command}
     * if they differ on your system.
     *
     * @param command {@code command}, default {@link #DEFAULT_COMMAND}, or {@link #PAUSED_COMMAND} with {@code paused}
     * @param paused {@code paused}, default false: leave the WPAR paused ({@code -p}) while its file systems are
     *     captured, then run {@code resumeCommand}. Only the default command gets {@code -p}; a custom one must pause
     *     by itself.
     * @param resumeCommand {@code resume-command}: required with {@code paused: true}, not allowed without it
     * @param finalCommand {@code final-command}, default {@link #FINAL_COMMAND}: the checkpoint that stops the WPAR
     *     ({@code -k}), taken when a relocation moves it away
     */
    record Aix(CommandTemplate command, boolean paused, Optional<CommandTemplate> resumeCommand,
            CommandTemplate finalCommand) implements SourceConfig {
        public static final String FINAL_COMMAND = "/opt/mcr/bin/chkptwpar -k -d {statedir} -o {logfile} {wpar}";

        public Aix(CommandTemplate command, boolean paused, Optional<CommandTemplate> resumeCommand) {
            this(command, paused, resumeCommand, CommandTemplate.parse(FINAL_COMMAND, STATEDIR_PLACEHOLDERS));
        }

        public static final String DEFAULT_COMMAND = "/opt/mcr/bin/chkptwpar -d {statedir} -o {logfile} {wpar}";
        public static final String PAUSED_COMMAND = "/opt/mcr/bin/chkptwpar -p -d {statedir} -o {logfile} {wpar}";
        public static final String DEFAULT_RESTART = "/opt/mcr/bin/restartwpar -d {statedir} -o {logfile} {wpar}";

        public Aix {
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(resumeCommand, "resumeCommand");
        }

        @Override
        public String preset() {
            return "aix";
        }
    }

    /**
     * {@code preset: command}: any command that writes the checkpoint into {@code {statedir}}, which is uploaded;
     * {@code final-command}, optional, one that also stops the WPAR (needed to relocate it).
     */
    record Command(CommandTemplate command, Optional<CommandTemplate> finalCommand) implements SourceConfig {
        public Command {
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(finalCommand, "finalCommand");
        }

        public Command(CommandTemplate command) {
            this(command, Optional.empty());
        }

        @Override
        public String preset() {
            return "command";
        }
    }

    /**
     * {@code preset: stdout}: a command whose standard output is the image, streamed to the server without touching
     * local disk; it may use {@code {wpar}} and {@code {logfile}}, not {@code {statedir}}.
     */
    record Stdout(CommandTemplate command) implements SourceConfig {
        public Stdout {
            Objects.requireNonNull(command, "command");
        }

        @Override
        public String preset() {
            return "stdout";
        }
    }

    /** {@code preset: directory}: upload the directory {@code path} (absolute) as it is. */
    record Directory(Path path) implements SourceConfig {
        public Directory {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String preset() {
            return "directory";
        }
    }
}
