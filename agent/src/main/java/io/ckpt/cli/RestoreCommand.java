package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.ConfigException;
import io.ckpt.agent.config.DurationSyntax;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.offline.OfflineDatastore;
import io.ckpt.agent.net.SelectedRestore;
import io.ckpt.agent.restore.CheckpointSelector;
import io.ckpt.agent.restore.OwnershipCheck;
import io.ckpt.agent.restore.RestoreAndStart;
import io.ckpt.agent.restore.ServerLink;
import io.ckpt.agent.restore.StartResult;
import io.ckpt.agent.restore.TreeWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "restore",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Restores a complete checkpoint of a WPAR bit for bit and, with --start, brings the WPAR up from it on this host.",
            "",
            "Which checkpoint: --id, --latest, --last-known-good (the newest marked good), --resume (the newest if it is a final checkpoint, else the last known good), or --at TIME (the newest taken at or before TIME). The chosen checkpoint's time is printed in UTC and in this machine's local time.",
            "",
            "Where: --to DIR (a directory checkpoint comes back as the same tree: modes, times, links), --to FILE or '-' for stdout (a single-file checkpoint). Without --to, into the agent's restore directory for the WPAR, STATE-DIR/restore/WPAR, STATE-DIR being the state-dir of the agent config (--config FILE, default /etc/ckpt/agent.yaml). A directory that is not empty, or a file that exists, is refused unless --force; --force replaces it and everything in it.",
            "",
            "Every chunk is verified against its SHA-256 on the server and every part again here. The restore is written under a hidden name beside the target and renamed into place only when all of it arrived intact; a directory replaced with --force is swapped by renames. A failed or interrupted restore never leaves a target that looks complete. A damaged checkpoint fails with its id, part and byte offset.",
            "",
            "--datastore DIR, for when the server is down or hung: reads the checkpoint straight from the datastore directory DIR in this process, without a server. It is read-only: it takes no lock (a hung server may hold it), runs no recovery, and writes nothing into DIR or the catalog (SQLite opens the catalog read-only; in WAL mode it maps the catalog.db-shm index beside it, as every reader does). It sees what the server would: complete checkpoints only, uploads in progress or cut off are invisible. Verification is the same. It works beside a running server too. Run it as a user that can read DIR (the server's user). The catalog must be there: a lost or damaged one is rebuilt with 'ckpt server rebuild-catalog' (which writes: stop the server first). Not with --start, which needs the server.",
            "",
            "--start (needs the WPAR in the agent config) goes on: (1) claims the WPAR on the server for this host (the config's host-id), refused if another host owns it unless --take-over; (2) runs the WPAR's restart command with {statedir} = TARGET/state (aix preset: restartwpar -d {statedir} -o {logfile} {wpar}); (3) runs its health check, repeated for --health-wait. If the WPAR restarts but is not healthy, the checkpoint is marked bad on the server and the WPAR is stopped with its stop command (wpars[].stop.command; without one it is left running and said so); with --fallback the newest good checkpoint older than it is tried next, until one comes up healthy or none is left. A restart command that fails is reported, not marked bad, and nothing is stopped. Each step is printed with its duration. The WPAR's file systems are not put back: that is the restart command's job (the restored ones are in TARGET/fs)."
        },
        footer = {
            "",
            "TIME: ISO-8601 with Z or an offset (2026-11-26T14:00:00Z, 2026-11-26T14:00:00+01:00), ISO-8601 without one in local time (2026-11-26T14:00:00), or relative: now, 30m ago, 2h ago, 3d ago, 2h30m ago (a d is 24 h), today 08:30, yesterday 14:00 (local time). A local time skipped by a daylight-saving change moves forward by the change; one that occurs twice means the earlier.",
            "",
            "Examples:",
            "  ckpt restore --wpar web01 --latest --to /var/tmp/web01",
            "  ckpt restore --wpar web01 --at '2h ago' --to /tmp/web01.img",
            "  ckpt restore --wpar web01 --id 42 --to - > web01.img",
            "  # the server is down: read its datastore directly",
            "  ckpt restore --datastore /srv/ckpt --wpar web01 --latest --to /var/tmp/web01",
            "  ckpt restore --wpar web01 --last-known-good --start --fallback \\",
            "               --health-wait 1m",
            "  ckpt restore --wpar web01 --at 'yesterday 14:00' --start --force \\",
            "               --config /srv/ckpt/agent.yaml",
            "  # web01's owner is down: start it here, fencing the owner off",
            "  ckpt restore --wpar web01 --latest --start --take-over",
            "",
            "JSON (--json): {checkpoint, taken_at, taken_at_local, to, duration_ms} (and at, for --at); with --start also {wpar, started, end, owner: {owner, epoch, previous_owner, changed}, attempts: [{checkpoint_id, taken_at, taken_at_local, health_before, result, error, steps: [{step, ok, duration_ms, summary, ...}]}]}, checkpoint being the last attempt's. See docs/AGENT.md.",
            "",
            "Exit status: 0 success, 1 error (also: with --datastore, DIR is not a datastore or its catalog is missing, unreadable or of another version), 2 bad usage (also: target not empty without --force), 3 not found, 4 server unreachable, 5 data damaged (the checkpoint, part and offset are named), 6 disk full, 7 refused (another host owns the WPAR), 8 the WPAR did not come up healthy (--start; every attempt is named), 9 not authenticated.",
            ""
        })
final class RestoreCommand extends ClientCommand {
    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xxx");

    @Option(names = "--wpar", required = true, paramLabel = "NAME", description = "The WPAR to restore.")
    String wpar;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
        @Option(names = "--id", paramLabel = "ID", description = "This checkpoint.")
        Long id;

        @Option(names = "--at", paramLabel = "TIME", description = "The newest complete checkpoint taken at or before TIME (forms below).")
        String at;

        @Option(names = "--last-known-good", description = "The newest complete checkpoint marked good (the LKG).")
        boolean lastKnownGood;

        @Option(names = "--latest", description = "The newest complete checkpoint.")
        boolean latest;

        @Option(names = "--resume", description = "The newest checkpoint if it is a final one (a clean stop or a move),"
                + " else the last known good: where a cluster manager's start script resumes (contrib/powerha).")
        boolean resume;
    }

    @Option(names = "--to", paramLabel = "DIR|FILE|-",
            description = "Where to restore: a directory that does not exist or is empty, a file, or '-' for stdout"
                    + " (default: STATE-DIR/restore/WPAR of the agent config).")
    String to;

    @Option(names = "--datastore", paramLabel = "DIR",
            description = "Read the checkpoint straight from the datastore DIR, without a server (when it is down or hung):"
                    + " read-only, no lock, no recovery; not with --start or --server.")
    Path datastore;

    @Option(names = "--catalog", paramLabel = "PATH",
            description = "With --datastore: the catalog, when the server keeps it outside the datastore (its --catalog;"
                    + " default: DIR/catalog.db).")
    Path catalog;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The agent config: its state-dir, server, host-id and the WPAR's restart, health and stop"
                    + " commands (default: " + "/etc/ckpt/agent.yaml" + ", read when --to is not given or with --start).")
    Path configFile;

    @Option(names = "--start", description = "Then claim the WPAR, run its restart command and its health check.")
    boolean start;

    @Option(names = "--fallback", description = "With --start: if the WPAR does not come up healthy, try the newest good"
            + " checkpoint older than the one that failed, and so on.")
    boolean fallback;

    @Option(names = "--take-over", description = "With --start: take the WPAR over from the host that owns it (that"
            + " host's uploads are refused from then on). Only when that host is down or has stopped the WPAR.")
    boolean takeOver;

    @Option(names = "--health-wait", paramLabel = "DURATION",
            description = "With --start: repeat the health check every 2 s for this long (30s, 2m; 0s: one check) before"
                    + " the WPAR counts as unhealthy (default: the WPAR's health.wait in the agent config, 60s unless set).")
    String healthWait;

    @Option(names = "--force", description = "Replace a target directory that is not empty, or a file that exists.")
    boolean force;

    @Option(names = "--json", description = "Print the result as JSON on stdout; no progress line.")
    boolean json;

    private final ObjectMapper m = new ObjectMapper();
    private final ZoneId zone = ZoneId.systemDefault();

    @Override
    int run() throws Exception {
        Duration wait = checkUsage();
        Instant at = which.at == null ? null : TimeArgument.parse("--at", which.at);
        CheckpointSelector selector = which.id != null ? new CheckpointSelector.Id(which.id)
                : which.lastKnownGood ? new CheckpointSelector.LastKnownGood()
                : which.resume ? new CheckpointSelector.Resume()
                : at != null ? new CheckpointSelector.At(at) : new CheckpointSelector.Latest();
        AgentConfig config = config();
        WparConfig w = config == null ? null : config.wpar(wpar).orElse(null);
        if (config != null && w == null && (start || to == null)) {
            throw new CliException(ExitCode.USAGE, "WPAR '" + wpar + "' is not in the agent config " + configName()
                    + " (its WPARs: " + config.wpars().stream().map(WparConfig::name).collect(Collectors.joining(", ")) + ")"
                    + (start ? "; --start restarts only WPARs of the agent config" : "; give --to"));
        }
        String server = client.server != null || config == null ? client.server() : config.server().toString();
        String hostId = hostId(config);
        // The options' (or environment's) credentials, else those of the agent config.
        io.ckpt.agent.net.ClientCredentials credentials = client.hasCredentials() || config == null ? client.credentials()
                : config.serverAuth().credentials();
        Path target = null;
        if (to == null) {
            target = RestoreAndStart.defaultTarget(config, wpar);
            Files.createDirectories(target.getParent());
        } else if (!"-".equals(to)) {
            target = Path.of(to);
        }
        if (start) {
            return start(w, selector, at, new RestoreAndStart(ServerLink.connecting(server, hostId, credentials), hostId,
                    config.stateDir().resolve("logs"), new Printer(at)), target, wait);
        }
        if (datastore != null) {
            try (OfflineDatastore.Link link = OfflineJar.require("restore").open(datastore, catalog)) {
                return restore(link, selector.request(wpar), at, target);
            }
        }
        try (CkptClient c = CkptClient.connect(server, hostId, credentials)) {
            return restore(ServerLink.over(c), selector.request(wpar), at, target);
        }
    }

    /** Options that only make sense together; returns --health-wait, null when not given. */
    private Duration checkUsage() throws CliException {
        String startOnly = fallback ? "--fallback" : takeOver ? "--take-over" : healthWait != null ? "--health-wait" : null;
        if (!start && startOnly != null) {
            throw new CliException(ExitCode.USAGE, startOnly + " is an option of --start; give --start too");
        }
        if (datastore != null && start) {
            throw new CliException(ExitCode.USAGE, "--start needs the server (it claims the WPAR there and marks bad"
                    + " checkpoints); --datastore only restores: restore with --to DIR, then start the WPAR by hand");
        }
        if (datastore != null && client.server != null) {
            throw new CliException(ExitCode.USAGE, "--datastore reads the datastore without a server; leave --server out");
        }
        if (datastore == null && catalog != null) {
            throw new CliException(ExitCode.USAGE, "--catalog is an option of --datastore; give --datastore DIR too");
        }
        if (start && "-".equals(to)) {
            throw new CliException(ExitCode.USAGE, "--start restarts from a directory; give --to DIR, or leave --to out");
        }
        if (healthWait == null) {
            return null; // the WPAR's health.wait
        }
        try {
            return DurationSyntax.parse(healthWait);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCode.USAGE, "--health-wait " + e.getMessage());
        }
    }

    /** The agent config: --config, else the default file when the restore needs one (no --to, or --start); else none. */
    private AgentConfig config() throws CliException {
        Path file = configFile;
        if (file == null) {
            if (to != null && !start) {
                return null;
            }
            if (!Files.exists(AgentConfig.DEFAULT_FILE)) {
                throw new CliException(ExitCode.USAGE, start
                        ? "--start needs the agent config (WPAR " + wpar + "'s restart command, health check, and this"
                                + " host's host-id): give --config FILE (" + AgentConfig.DEFAULT_FILE + " does not exist)"
                        : "give --to DIR|FILE|-, or --config FILE: without --to the restore goes to STATE-DIR/restore/"
                                + wpar + " of the agent config, and there is none (" + AgentConfig.DEFAULT_FILE
                                + " does not exist)");
            }
            file = AgentConfig.DEFAULT_FILE;
        }
        try {
            return AgentConfig.load(file);
        } catch (ConfigException e) {
            throw new CliException(ExitCode.USAGE, e.getMessage());
        }
    }

    private String configName() {
        return (configFile != null ? configFile : AgentConfig.DEFAULT_FILE).toString();
    }

    /** This host as the server knows it: the agent config's host-id, which --host-id may not contradict. */
    private String hostId(AgentConfig config) throws CliException {
        if (config == null) {
            return client.hostId();
        }
        if (client.hostId != null && !client.hostId.equals(config.hostId())) {
            throw new CliException(ExitCode.USAGE, "--host-id " + client.hostId + " is not the host-id of the agent config "
                    + configName() + " (" + config.hostId() + "), which the agent uploads as; leave --host-id out");
        }
        return config.hostId();
    }

    private int restore(ServerLink c, ObjectNode select, Instant at, Path target) throws IOException {
        SelectedRestore chosen = c.begin(select); // one round trip over protocol version 3
        JsonNode cp = chosen.checkpoint();
        long id = chosen.id();
        JsonNode parts = chosen.parts();
        boolean single = parts.size() == 1 && !parts.get(0).path("type").asText().equals("directory")
                && !parts.get(0).path("type").asText().equals("symlink");
        long total = cp.path("logical_bytes").asLong();
        Path dest = target == null ? null : TreeWriter.destination(target, single ? parts.get(0).path("name").asText() : null, force);
        Instant takenAt = Instant.parse(cp.path("taken_at").asText());
        if (!json) {
            printAt(at);
            err.printf("restoring checkpoint %d of WPAR %s taken at %s, %s%n", id, wpar, times(takenAt), Units.bytes(total));
        }
        Progress progress = new Progress(err, !json && dest != null, "restoring", total);
        try {
            if (dest == null) {
                if (!single) {
                    throw new CliException(ExitCode.USAGE, "checkpoint " + id + " is a directory of "
                            + parts.size() + " parts; give --to DIR");
                }
                chosen.receive(new StdoutRestoreWriter(System.out));
                System.out.flush();
            } else {
                TreeWriter w = new TreeWriter(dest, single, force, progress::add);
                try {
                    chosen.receive(w);
                    w.finish();
                } catch (IOException | RuntimeException e) {
                    w.discard();
                    throw e;
                }
                if (!json) {
                    progress.finish();
                    err.printf("restored to %s in %s (%s)%n", dest, Units.duration(progress.elapsedNanos()),
                            Units.rate(total, progress.elapsedNanos()));
                }
            }
        } finally {
            progress.finish();
        }
        if (json) {
            ObjectNode o = m.createObjectNode();
            o.set("checkpoint", cp);
            putTimes(o, takenAt, at);
            o.put("to", dest == null ? "-" : dest.toString());
            o.put("duration_ms", progress.elapsedNanos() / 1_000_000);
            out.println(m.writeValueAsString(o));
        }
        return ExitCode.OK;
    }

    private int start(WparConfig w, CheckpointSelector selector, Instant at, RestoreAndStart ras, Path target, Duration wait)
            throws IOException {
        long begin = System.nanoTime();
        // Into the agent's own restore directory with --force (the PowerHA start script): take the chunks an
        // earlier restore left there and fetch only the rest.
        Duration healthFor = wait != null ? wait : w.health().map(h -> h.restartWait()).orElse(Duration.ZERO);
        StartResult r = ras.run(w, selector, new RestoreAndStart.Options(target, force,
                new OwnershipCheck.Claim(takeOver), fallback, healthFor, force && to == null));
        StartResult.Attempt last = r.last();
        if (json) {
            ObjectNode o = m.createObjectNode();
            o.set("checkpoint", last.checkpoint().json());
            putTimes(o, last.checkpoint().takenAt(), at);
            o.put("duration_ms", (System.nanoTime() - begin) / 1_000_000);
            o.setAll(r.toJson(zone));
            out.println(m.writeValueAsString(o));
        }
        if (r.started()) {
            if (!json) {
                StartResult.Owner owner = r.owner().orElseThrow();
                err.printf("WPAR %s started from checkpoint %d (taken at %s)%s in %s; owner %s, epoch %d%n", wpar,
                        last.checkpoint().id(), Units.utc(last.checkpoint().takenAt().toString()),
                        last.outcome() == StartResult.Outcome.HEALTHY ? ", healthy," : ", health not checked,",
                        Units.duration(System.nanoTime() - begin), owner.host(), owner.epoch());
            }
            return ExitCode.OK;
        }
        StringBuilder b = new StringBuilder("WPAR " + wpar + " did not come up healthy: ");
        for (StartResult.Attempt a : r.attempts()) {
            b.append("attempt ").append(a.number()).append(", checkpoint ").append(a.checkpoint().id()).append(": ")
                    .append(a.outcome()).append(" (").append(a.error()).append("); ");
        }
        err.println("ckpt: " + b.append(r.end()));
        return ExitCode.NOT_STARTED;
    }

    /** How --at was read, once a checkpoint was found for it (a failure stays one line). */
    private void printAt(Instant at) {
        if (at != null) {
            err.printf("--at %s: %s%n", which.at, times(at));
        }
    }

    /** A time as people read it here: UTC, then this machine's local time with its offset. */
    private String times(Instant t) {
        return Units.utc(t.toString()) + " (" + LOCAL.format(t.atZone(zone)) + " local)";
    }

    private void putTimes(ObjectNode o, Instant takenAt, Instant at) {
        o.put("taken_at", takenAt.toString());
        o.put("taken_at_local", StartResult.local(takenAt, zone));
        if (at != null) {
            o.put("at", at.toString());
        }
    }

    /** Prints each attempt and step of --start as it happens, with a progress line while restoring. */
    private final class Printer implements RestoreAndStart.Listener {
        private final Instant at;
        private Progress progress;

        Printer(Instant at) {
            this.at = at;
        }

        @Override
        public void attempt(int number, StartResult.Checkpoint cp) {
            progress = new Progress(err, !json, "restoring", cp.json().path("logical_bytes").asLong());
            if (!json && number == 1) {
                printAt(at);
            }
            if (!json) {
                err.printf("attempt %d: checkpoint %d of WPAR %s taken at %s, health %s%n", number, cp.id(), wpar,
                        times(cp.takenAt()), cp.health());
            }
        }

        @Override
        public void restored(long bytes) {
            progress.add(bytes);
        }

        @Override
        public void step(StartResult.Step s) {
            if (s.name().equals("restore")) {
                progress.finish();
            }
            if (!json) {
                err.printf("  %-9s %8s  %s%s%n", s.name(), Units.duration(s.duration().toNanos()), s.ok() ? "" : "FAILED: ",
                        s.summary());
            }
        }
    }
}
