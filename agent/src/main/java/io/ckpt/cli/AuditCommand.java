package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Prints the server's audit log: who did what, to which WPAR or checkpoint, and how it ended. One line per event, oldest first: time, actor, action, WPAR, checkpoint, outcome (ok, failed, refused) and details.",
            "",
            "Recorded: uploads committed, aborted by the client, failed (connection dropped, error) or refused (server busy, fenced, bad name, no space); restores started and finished (or fetched chunk by chunk); mark-good, mark-bad, mark-unknown; protect, unprotect; prune (with the checkpoints it removed), gc, verify, whether asked for or scheduled; relocate, failover (also the server's automatic failover), rebalance; ownership claims that move a WPAR to another host; server start and stop. Dry runs and queries (list, show, status) are not recorded.",
            "",
            "The actor is the client's authenticated name, else the host id it gave when it connected ('server' for the server's own work); the peer address is in --json. --actor matches the actor or the host id.",
            "",
            "The log lives under DATASTORE/audit/ (docs/OPERATIONS.md, \"Audit log\"). Each line carries a CRC: a line a crash cut short is reported as torn (expected after a crash), any other bad line as damaged (changed after it was written: disk damage or tampering). Both are printed on stderr; damaged lines make the exit status 5."
        },
        footer = {
            "",
            "Times (--since, --until): " + TimeArgument.FORMS + ".",
            "",
            "JSON (--json): {\"events\": [{\"time\", \"actor\", \"principal\"?, \"host\", \"peer\", \"action\", \"wpar\"?, \"checkpoint\"?, \"outcome\", \"details\"?}], \"torn_lines\": [{\"file\", \"line\"}], \"damaged_lines\": [{\"file\", \"line\"}]}.",
            "",
            "Examples:",
            "  ckpt audit --since '1d ago'",
            "  ckpt audit --wpar web01 --action restore",
            "  ckpt audit --actor nodeA --limit 20 --json",
            "  ckpt audit --datastore /srv/ckpt --action prune      (the server is down: read the log directly;",
            "                                                       bin/ckpt runs this from the offline jar)",
            "",
            "Exit status: 0 success, 1 error, 2 bad usage, 4 server unreachable, 5 the log has damaged lines.",
            ""
        })
final class AuditCommand extends ClientCommand {
    @Option(names = "--since", paramLabel = "TIME", description = "Only events at or after TIME.")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Only events at or before TIME.")
    String until;

    @Option(names = "--wpar", paramLabel = "WPAR", description = "Only events about this WPAR.")
    String wpar;

    @Option(names = "--actor", paramLabel = "NAME", description = "Only events of this actor (principal or host id; 'server').")
    String actor;

    @Option(names = "--action", paramLabel = "ACTION",
            description = "Only this action, or actions under it: 'upload' matches upload.committed, upload.failed, ...")
    String action;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Only the newest N matching events (default: all).")
    int limit;

    @Option(names = "--datastore", paramLabel = "DIR",
            description = "Read DIR/audit directly, without a server (read-only; works beside a running server too)."
                    + " Needs the offline jar, which bin/ckpt runs for --datastore.")
    Path datastore;

    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Override
    int run() throws Exception {
        if (limit < 0) {
            throw new CliException(ExitCode.USAGE, "--limit must be 0 (all) or more, not " + limit);
        }
        ObjectMapper m = new ObjectMapper();
        ObjectNode req = m.createObjectNode().put("op", "audit").put("limit", limit);
        putTime(req, "since", "--since", since);
        putTime(req, "until", "--until", until);
        req.put("wpar", wpar).put("actor", actor).put("action", action);
        JsonNode answer;
        if (datastore != null) {
            answer = OfflineJar.require("audit").audit(datastore, req);
        } else {
            answer = request(req);
        }
        if (json) {
            out.println(m.writeValueAsString(answer));
        } else {
            for (JsonNode e : answer.path("events")) {
                StringBuilder line = new StringBuilder(TerminalText.of(e.path("time"))).append(' ')
                        .append(TerminalText.of(e.path("actor"))).append(' ').append(TerminalText.of(e.path("action")));
                if (e.has("wpar")) {
                    line.append(" wpar=").append(TerminalText.of(e.path("wpar")));
                }
                if (e.has("checkpoint")) {
                    line.append(" checkpoint=").append(e.path("checkpoint").asLong());
                }
                line.append(' ').append(TerminalText.of(e.path("outcome")));
                if (e.has("details")) {
                    line.append(' ').append(TerminalText.json(m.writeValueAsString(e.get("details"))));
                }
                out.println(line);
            }
        }
        for (JsonNode t : answer.path("torn_lines")) {
            err.println("ckpt: audit log " + TerminalText.of(t.path("file")) + " line " + t.path("line").asLong()
                    + " is torn (cut short by a crash); skipped");
        }
        for (JsonNode d : answer.path("damaged_lines")) {
            err.println("ckpt: audit log " + TerminalText.of(d.path("file")) + " line " + d.path("line").asLong()
                    + " is damaged (CRC mismatch: changed after it was written, by disk damage or tampering); skipped");
        }
        return answer.path("damaged_lines").isEmpty() ? ExitCode.OK : ExitCode.CORRUPT;
    }

    private static void putTime(ObjectNode req, String field, String option, String value) throws CliException {
        if (value != null) {
            Instant t = TimeArgument.parse(option, value);
            req.put(field, t.toString());
        }
    }
}
