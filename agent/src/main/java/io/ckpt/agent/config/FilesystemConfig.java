package io.ckpt.agent.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * One file-system source of a WPAR ({@code filesystems:} item), captured while the WPAR is paused and uploaded as
 * further parts of the same checkpoint. {@code name} follows the WPAR name rule and is unique within the WPAR.
 */
public sealed interface FilesystemConfig {
    /** Placeholders of a file-system command. */
    Set<String> PLACEHOLDERS = Set.of(CommandTemplate.WPAR, CommandTemplate.LOGFILE);

    String name();

    /** {@code { name, command }}: the command's standard output is the part {@code fs/<name>}. */
    record Stream(String name, CommandTemplate command) implements FilesystemConfig {
        public Stream {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(command, "command");
        }
    }

    /** {@code { name, directory }}: the directory's files become parts under {@code fs/<name>/}. */
    record Directory(String name, Path directory) implements FilesystemConfig {
        public Directory {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(directory, "directory");
        }
    }
}
