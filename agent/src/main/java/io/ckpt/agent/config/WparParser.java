package io.ckpt.agent.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The schema of a {@code wpars:} item: name, schedule, source preset, file systems, health check, restart, stop, timeouts. */
final class WparParser {
    private static final Set<String> WPAR = Set.of("name", "schedule", "source", "filesystems", "health", "restart", "stop",
            "timeouts");
    private static final Set<String> SOURCE = Set.of("preset", "command", "path", "paused", "resume-command",
            "final-command");
    private static final Set<String> FILESYSTEM = Set.of("name", "command", "directory");
    private static final Set<String> HEALTH = Set.of("command", "process", "when", "wait");
    private static final Set<String> RESTART = Set.of("command");
    private static final Set<String> STOP = Set.of("command");
    private static final String NAME_RULE = "use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit";

    private final ConfigParser config;
    private final ScheduleConfig defaultSchedule;
    private final Timeouts defaultTimeouts;

    WparParser(ConfigParser config, ScheduleConfig defaultSchedule, Timeouts defaultTimeouts) {
        this.config = config;
        this.defaultSchedule = defaultSchedule;
        this.defaultTimeouts = defaultTimeouts;
    }

    /** All the WPARs, in order; a name used twice is an error at its second use. */
    List<WparConfig> parse(List<ConfigValue> items) throws ConfigException {
        Map<String, ConfigValue> seen = new HashMap<>();
        List<WparConfig> wpars = new ArrayList<>(items.size());
        for (ConfigValue item : items) {
            Section w = item.section(WPAR);
            ConfigValue nameValue = w.require("name", "the WPAR's name");
            String name = name(nameValue, "WPAR name");
            ConfigValue first = seen.putIfAbsent(name, nameValue);
            if (first != null) {
                throw nameValue.error("duplicate WPAR name '" + name + "' (first at line " + first.mark().line() + ")");
            }
            wpars.add(wpar(w, name));
        }
        return wpars;
    }

    private WparConfig wpar(Section w, String name) throws ConfigException {
        ScheduleConfig schedule = config.schedule(w.get("schedule"), defaultSchedule);
        SourceConfig source = source(w.require("source", "how to take the checkpoint, a mapping with"
                + " preset: aix, command, stdout or directory"));
        List<FilesystemConfig> filesystems = w.has("filesystems") ? filesystems(w.get("filesystems").get()) : List.of();
        Optional<HealthCheckConfig> health = w.has("health") ? Optional.of(health(w.get("health").get())) : Optional.empty();
        Optional<CommandTemplate> restart = Optional.empty();
        if (w.has("restart")) {
            Section r = w.get("restart").get().section(RESTART);
            restart = Optional.of(config.template(r.require("command", "the command that restarts the WPAR from {statedir}"),
                    WparConfig.RESTART_PLACEHOLDERS));
        } else if (source instanceof SourceConfig.Aix) {
            restart = Optional.of(CommandTemplate.parse(SourceConfig.Aix.DEFAULT_RESTART, WparConfig.RESTART_PLACEHOLDERS));
        }
        Optional<CommandTemplate> stop = Optional.empty();
        if (w.has("stop")) {
            Section s = w.get("stop").get().section(STOP);
            stop = Optional.of(config.template(s.require("command", "the command that stops the WPAR"),
                    WparConfig.STOP_PLACEHOLDERS));
        }
        Timeouts timeouts = config.timeouts(w.get("timeouts"), defaultTimeouts);
        return new WparConfig(name, schedule, source, filesystems, health, restart, stop, timeouts);
    }

    private SourceConfig source(ConfigValue value) throws ConfigException {
        Section s = value.section(SOURCE);
        ConfigValue presetValue = s.require("preset", "one of aix, command, stdout, directory");
        String preset = presetValue.text();
        switch (preset) {
            case "aix": {
                notFor(s, preset, "path");
                boolean paused = s.has("paused") && s.get("paused").get().bool();
                CommandTemplate command = s.has("command")
                        ? stateDirCommand(s.get("command").get(), preset)
                        : CommandTemplate.parse(paused ? SourceConfig.Aix.PAUSED_COMMAND : SourceConfig.Aix.DEFAULT_COMMAND,
                                SourceConfig.STATEDIR_PLACEHOLDERS);
                Optional<ConfigValue> resume = s.get("resume-command");
                if (paused && resume.isEmpty()) {
                    throw s.error("resume-command", "required with paused: true: the command that resumes the WPAR"
                            + " once its file systems are captured");
                }
                if (!paused && resume.isPresent()) {
                    throw resume.get().error("only used with paused: true");
                }
                Optional<CommandTemplate> resumeCommand = resume.isPresent()
                        ? Optional.of(config.template(resume.get(), SourceConfig.STATEDIR_PLACEHOLDERS)) : Optional.empty();
                CommandTemplate finalCommand = s.has("final-command")
                        ? stateDirCommand(s.get("final-command").get(), preset)
                        : CommandTemplate.parse(SourceConfig.Aix.FINAL_COMMAND, SourceConfig.STATEDIR_PLACEHOLDERS);
                return new SourceConfig.Aix(command, paused, resumeCommand, finalCommand);
            }
            case "command": {
                notFor(s, preset, "path", "paused", "resume-command");
                Optional<CommandTemplate> finalCommand = s.has("final-command")
                        ? Optional.of(stateDirCommand(s.get("final-command").get(), preset)) : Optional.empty();
                return new SourceConfig.Command(stateDirCommand(
                        s.require("command", "the command that writes the checkpoint into {statedir}"), preset), finalCommand);
            }
            case "stdout": {
                notFor(s, preset, "path", "paused", "resume-command", "final-command");
                ConfigValue command = s.require("command", "the command whose standard output is the checkpoint image");
                return new SourceConfig.Stdout(config.template(command, SourceConfig.STREAM_PLACEHOLDERS));
            }
            case "directory": {
                notFor(s, preset, "command", "paused", "resume-command", "final-command");
                return new SourceConfig.Directory(config.absolutePath(s.require("path", "the directory to upload as it is")));
            }
            default:
                throw presetValue.error("'" + preset + "' is not a preset (use aix, command, stdout or directory)");
        }
    }

    /** A source command that must use {@code {statedir}}: what it writes there is the checkpoint. */
    private CommandTemplate stateDirCommand(ConfigValue v, String preset) throws ConfigException {
        CommandTemplate t = config.template(v, SourceConfig.STATEDIR_PLACEHOLDERS);
        if (!t.placeholders().contains(CommandTemplate.STATEDIR)) {
            throw v.error("does not use {statedir}: the " + preset + " preset uploads what the command writes there");
        }
        return t;
    }

    private static void notFor(Section s, String preset, String... keys) throws ConfigException {
        for (String key : keys) {
            Optional<ConfigValue> v = s.get(key);
            if (v.isPresent()) {
                throw v.get().error("not used by the " + preset + " preset");
            }
        }
    }

    private List<FilesystemConfig> filesystems(ConfigValue value) throws ConfigException {
        Map<String, ConfigValue> seen = new HashMap<>();
        List<FilesystemConfig> result = new ArrayList<>();
        for (ConfigValue item : value.list()) {
            Section f = item.section(FILESYSTEM);
            ConfigValue nameValue = f.require("name", "the part name (fs/<name>)");
            String name = name(nameValue, "file-system name");
            ConfigValue first = seen.putIfAbsent(name, nameValue);
            if (first != null) {
                throw nameValue.error("duplicate file-system name '" + name + "' (first at line " + first.mark().line() + ")");
            }
            Optional<ConfigValue> command = f.get("command");
            Optional<ConfigValue> directory = f.get("directory");
            if (command.isPresent() && directory.isPresent()) {
                throw directory.get().error("set command or directory, not both");
            }
            if (command.isPresent()) {
                result.add(new FilesystemConfig.Stream(name, config.template(command.get(), FilesystemConfig.PLACEHOLDERS)));
            } else if (directory.isPresent()) {
                result.add(new FilesystemConfig.Directory(name, config.absolutePath(directory.get())));
            } else {
                throw f.error("command", "required, or directory: a command whose standard output is the part,"
                        + " or a directory to upload");
            }
        }
        return result;
    }

    private HealthCheckConfig health(ConfigValue value) throws ConfigException {
        Section h = value.section(HEALTH);
        Optional<CommandTemplate> command = h.has("command")
                ? Optional.of(config.template(h.get("command").get(), HealthCheckConfig.PLACEHOLDERS)) : Optional.empty();
        Optional<String> process = h.has("process") ? Optional.of(h.get("process").get().nonBlankText()) : Optional.empty();
        if (command.isEmpty() && process.isEmpty()) {
            throw h.error("command", "required, or process, or both: a health check needs something to check");
        }
        HealthCheckConfig.When when = HealthCheckConfig.When.AFTER;
        if (h.has("when")) {
            ConfigValue w = h.get("when").get();
            when = switch (w.text()) {
                case "before" -> HealthCheckConfig.When.BEFORE;
                case "after" -> HealthCheckConfig.When.AFTER;
                case "both" -> HealthCheckConfig.When.BOTH;
                default -> throw w.error("'" + w.text() + "' is not before, after or both");
            };
        }
        java.time.Duration wait = h.has("wait") ? config.duration(h.get("wait").get()) : HealthCheckConfig.DEFAULT_WAIT;
        if (wait.compareTo(java.time.Duration.ofHours(1)) > 0) {
            throw h.get("wait").get().error("at most 1h: " + DurationSyntax.format(wait));
        }
        return new HealthCheckConfig(command, process, when, wait);
    }

    private static String name(ConfigValue v, String what) throws ConfigException {
        String name = v.text();
        if (!WparConfig.NAME.matcher(name).matches()) {
            throw v.error("'" + name + "' is not a valid " + what + ": " + NAME_RULE);
        }
        return name;
    }
}
