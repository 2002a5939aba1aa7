package io.ckpt.agent;

import io.ckpt.agent.health.HealthCheck;
import io.ckpt.agent.config.CommandTemplate;
import io.ckpt.agent.config.FilesystemConfig;
import io.ckpt.agent.config.SourceConfig;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.process.CommandResult;
import io.ckpt.agent.process.CommandRunner;
import io.ckpt.agent.spool.Spool;
import io.ckpt.agent.spool.SpoolEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Takes one checkpoint of a WPAR into the spool: health check before (if configured), the
 * checkpoint command into {@code parts/state/}, each file system into {@code parts/fs/NAME},
 * the resume command for a paused WPAR, health check after. A command that fails, times out or
 * writes nothing fails the checkpoint with its stderr tail, and nothing is spooled.
 */
final class CheckpointTaker {
    /** Why a checkpoint failed, with the command's own words. */
    static final class Failed extends IOException {
        Failed(String message) {
            super(message);
        }
    }

    private final Spool spool;
    private final Path logDir;

    CheckpointTaker(Spool spool, Path logDir) {
        this.spool = spool;
        this.logDir = logDir;
    }

    /** Runs the checkpoint and returns its spool entry. The stdout preset streams instead (AgentDaemon). */
    SpoolEntry take(WparConfig w, long takenAtMillis, String kind) throws IOException {
        return take(w, takenAtMillis, kind, false);
    }

    /**
     * With {@code stop}, the checkpoint is the final one before a move: the source's
     * {@code final-command} writes the state and stops the WPAR (no resume, no health check after).
     */
    SpoolEntry take(WparConfig w, long takenAtMillis, String kind, boolean stop) throws IOException {
        Files.createDirectories(logDir);
        Path logfile = logDir.resolve(w.name() + ".log");
        HealthCheck.Verdict health = w.health().filter(h -> h.when().before())
                .map(h -> HealthCheck.run(h, w.name(), w.timeouts().health())).orElse(HealthCheck.Verdict.UNKNOWN);
        Spool.Staging staging = spool.stage(w.name());
        boolean done = false;
        try {
            Path state = staging.parts().resolve("state");
            Files.createDirectories(state);
            Map<String, String> vars = Map.of(CommandTemplate.WPAR, w.name(), CommandTemplate.STATEDIR, state.toString(),
                    CommandTemplate.LOGFILE, logfile.toString());
            SourceConfig src = w.source();
            String resumeError = null;
            try {
                if (src instanceof SourceConfig.Aix aix) {
                    CommandTemplate cmd = stop ? aix.finalCommand() : aix.command();
                    runChecked(stop ? "final checkpoint" : "checkpoint", cmd.render(vars), w.timeouts().checkpoint());
                    requireNotEmpty(state, cmd);
                } else if (src instanceof SourceConfig.Command c) {
                    CommandTemplate cmd = stop ? c.finalCommand().orElseThrow(() -> new Failed("WPAR " + w.name()
                            + " has no source.final-command: moving it needs a checkpoint command that stops it")) : c.command();
                    runChecked(stop ? "final checkpoint" : "checkpoint", cmd.render(vars), w.timeouts().checkpoint());
                    requireNotEmpty(state, cmd);
                } else if (stop) {
                    throw new Failed("WPAR " + w.name() + ": the " + src.preset() + " preset cannot stop the WPAR for a move");
                } else if (src instanceof SourceConfig.Directory d) {
                    copyTree(d.path(), state);
                } else {
                    throw new IllegalArgumentException("the " + src.preset() + " preset streams and is not spooled");
                }
                captureFilesystems(w, staging.parts().resolve("fs"), logfile);
            } finally {
                // A paused WPAR is resumed whatever happened above, even when the agent is stopping.
                if (!stop && src instanceof SourceConfig.Aix aix && aix.paused() && aix.resumeCommand().isPresent()) {
                    boolean interrupted = Thread.interrupted();
                    try {
                        CommandResult r = CommandRunner.run(aix.resumeCommand().get().render(vars), w.timeouts().checkpoint(), logfile);
                        if (!r.ok()) {
                            resumeError = "resume " + r.describe();
                            org.slf4j.LoggerFactory.getLogger(CheckpointTaker.class).error(
                                    "WPAR {}: {} (the WPAR may still be paused)", w.name(), resumeError);
                        }
                    } finally {
                        if (interrupted) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            }
            if (resumeError != null) {
                throw new Failed(resumeError + " (the WPAR may still be paused)");
            }
            if (!stop && w.health().isPresent() && w.health().get().when().after()) {
                health = HealthCheck.worse(health, HealthCheck.run(w.health().get(), w.name(), w.timeouts().health()));
            }
            SpoolEntry e = staging.commit(takenAtMillis, kind, health.health(), health.reason(), List.of());
            done = true;
            return e;
        } finally {
            if (!done) {
                staging.discard();
            }
        }
    }

    private void captureFilesystems(WparConfig w, Path fsDir, Path logfile) throws IOException {
        for (FilesystemConfig fs : w.filesystems()) {
            Files.createDirectories(fsDir);
            if (fs instanceof FilesystemConfig.Stream s) {
                Path out = fsDir.resolve(s.name());
                List<String> argv = s.command().render(Map.of(CommandTemplate.WPAR, w.name(), CommandTemplate.LOGFILE,
                        logfile.toString()));
                CommandResult r = CommandRunner.run(argv, w.timeouts().filesystem(), out);
                if (!r.ok()) {
                    throw new Failed("file system '" + s.name() + "': " + r.describe());
                }
            } else if (fs instanceof FilesystemConfig.Directory d) {
                copyTree(d.directory(), fsDir.resolve(d.name()));
            }
        }
    }

    private static void runChecked(String what, List<String> argv, java.time.Duration timeout) throws IOException {
        CommandResult r;
        try {
            r = CommandRunner.run(argv, timeout, null);
        } catch (IOException e) {
            throw new Failed(what + " command could not start: " + e.getMessage());
        }
        if (!r.ok()) {
            throw new Failed(what + " " + r.describe());
        }
    }

    private static void requireNotEmpty(Path state, CommandTemplate cmd) throws IOException {
        try (Stream<Path> s = Files.list(state)) {
            if (s.findAny().isEmpty()) {
                throw new Failed("checkpoint command '" + cmd.text() + "' exited 0 but wrote nothing to {statedir}");
            }
        }
    }

    /** Copies a tree as it is (links as links, times and modes kept): a point-in-time copy for the spool. */
    static void copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            throw new Failed("directory " + from + " does not exist");
        }
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p)); // Path to Path: the name's bytes, not the locale's text of them
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(target);
                    dirs.add(p);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
        for (Path d : dirs) { // directory times last: copying into them changed them
            Files.setLastModifiedTime(to.resolve(from.relativize(d)), Files.getLastModifiedTime(d));
        }
    }
}
