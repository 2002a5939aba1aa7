package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Lists complete checkpoints, oldest first: id, WPAR, when taken (UTC), state, health (a '*' marks each WPAR's last known good: its newest good checkpoint), logical size (the image as uploaded) and stored size (the new bytes it added to the datastore after dedup and compression)."
        },
        footer = {
            "",
            "JSON (--json): {\"checkpoints\": [{\"id\", \"wpar\", \"taken_at\", \"kind\", \"state\", \"health\", \"protected\", \"labels\", \"host\", \"logical_bytes\", \"stored_bytes\", \"chunks\", \"new_chunks\", \"parts\", \"created_at\", \"completed_at\", \"lkg\"}, ...]}; times are ISO-8601 UTC. See docs/PROTOCOL.md.",
            "",
            "Examples:",
            "  ckpt list",
            "  ckpt list --wpar web01 --json",
            "",
            "Exit status: 0 success, 1 error, 2 bad usage, 3 not found, 4 server unreachable, 5 data damaged, 6 disk full, 7 refused, 9 not authenticated.",
            ""
        })
final class ListCommand extends ClientCommand {
    @Option(names = "--wpar", paramLabel = "NAME", description = "Only this WPAR's checkpoints.")
    String wpar;

    @Option(names = "--all", description = "Also show uploads still in progress (state 'uploading').")
    boolean all;

    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Override
    int run() throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode req = m.createObjectNode().put("op", "list").put("all", all);
        if (wpar != null) {
            req.put("wpar", wpar);
        }
        JsonNode res = request(req);
        if (json) {
            out.println(m.writeValueAsString(res));
            return ExitCode.OK;
        }
        JsonNode cps = res.path("checkpoints");
        if (cps.isEmpty()) {
            err.println(wpar == null ? "no checkpoints" : "no checkpoints for WPAR " + TerminalText.of(wpar));
            return ExitCode.OK;
        }
        String fmt = "%8s  %-16s  %-20s  %-9s  %-8s  %11s  %11s  %s%n";
        out.printf(fmt, "ID", "WPAR", "TAKEN AT (UTC)", "STATE", "HEALTH", "LOGICAL", "STORED", "LABELS");
        for (JsonNode c : cps) {
            StringBuilder labels = new StringBuilder();
            c.path("labels").forEach(l -> labels.append(labels.length() == 0 ? "" : ",").append(TerminalText.of(l)));
            out.printf(fmt, c.path("id").asText(), TerminalText.of(c.path("wpar")), Units.utc(c.path("taken_at").asText()),
                    c.path("state").asText(), c.path("health").asText() + (c.path("lkg").asBoolean() ? " *" : ""),
                    Units.bytes(c.path("logical_bytes").asLong()),
                    Units.bytes(c.path("stored_bytes").asLong()), labels);
        }
        return ExitCode.OK;
    }
}
