package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "alerts",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Prints the server's active alerts, one line each (severity, key, since when, message), or \"no active alerts\". The exit status says whether any is active, so the command serves as a monitoring check (Nagios, cron, a PowerHA script) as it is.",
            "",
            "Alerts (docs/OPERATIONS.md, \"Alerts\"):",
            "  disk-reserve   critical  free space on the datastore's file system is below --reserve: uploads are refused (exit 6). Cleared when an upload passes the check or this command finds the space back.",
            "  verify-damage  critical  a scheduled verify found damaged chunks. Cleared when the scheduled runs have read every pack again and found none.",
            "  verify-failed  warning   a scheduled verify could not run to its end. Cleared by the next one that does.",
            "  prune-failed   warning   a scheduled prune failed. Cleared by the next one that succeeds.",
            "  gc-failed      warning   a scheduled gc failed. Cleared by the next one that succeeds.",
            "",
            "Alerts live in the server's memory: a restart clears them, and each is raised again when its condition is next seen. The server logs each one as an ERROR when raised and as INFO when cleared."
        },
        footer = {
            "",
            "JSON (--json): {\"alerts\": [{\"key\", \"severity\" (\"warning\" or \"critical\"), \"since\" (ISO-8601 UTC, first raised), \"message\"}]}, oldest first; [] when none.",
            "",
            "Examples:",
            "  ckpt alerts",
            "  ckpt alerts --server ckpt1:7420 --json",
            "  ckpt alerts --server ckpt1:7420 || logger -p daemon.err \"ckpt alerts: exit $?\"",
            "",
            "Exit status: 0 no active alert, 1 at least one active (or another error, printed as 'ckpt: ...' on stderr), 4 server unreachable, 9 not authenticated.",
            ""
        })
final class AlertsCommand extends ClientCommand {
    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Override
    int run() throws Exception {
        ObjectMapper m = new ObjectMapper();
        JsonNode alerts = request(m.createObjectNode().put("op", "alerts")).path("alerts");
        if (json) {
            out.println(m.writeValueAsString(m.createObjectNode().set("alerts", alerts)));
        } else if (alerts.isEmpty()) {
            out.println("no active alerts");
        } else {
            for (JsonNode a : alerts) {
                out.printf("%s %s since %s: %s%n", a.path("severity").asText().toUpperCase(Locale.ROOT),
                        TerminalText.of(a.path("key")), a.path("since").asText(), TerminalText.of(a.path("message")));
            }
        }
        return alerts.isEmpty() ? ExitCode.OK : ExitCode.ERROR;
    }
}
