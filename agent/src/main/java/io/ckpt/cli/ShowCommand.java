package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "show",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "Shows one checkpoint and its parts (files, directories, links or stream).",
        footer = {
            "",
            "JSON (--json): {\"checkpoint\": {...as in list...}, \"parts\": [{\"name\", \"type\", \"mode\", \"mtime\", \"size\", \"chunks\", \"sha256\", \"target\"}, ...]}.",
            "",
            "Example:",
            "  ckpt show 42",
            "",
            "Exit status: 0 success, 1 error, 2 bad usage, 3 not found, 4 server unreachable, 5 data damaged, 6 disk full, 7 refused, 9 not authenticated.",
            ""
        })
final class ShowCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "Checkpoint id.")
    long id;

    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Override
    int run() throws Exception {
        ObjectMapper m = new ObjectMapper();
        JsonNode res = request(m.createObjectNode().put("op", "show").put("id", id));
        if (json) {
            out.println(m.writeValueAsString(res));
            return ExitCode.OK;
        }
        JsonNode cp = res.path("checkpoint");
        out.printf("checkpoint   %d%n", cp.path("id").asLong());
        out.printf("wpar         %s%n", TerminalText.of(cp.path("wpar")));
        out.printf("taken at     %s%n", Units.utc(cp.path("taken_at").asText()));
        out.printf("kind         %s%n", TerminalText.of(cp.path("kind")));
        out.printf("state        %s%n", cp.path("state").asText());
        out.printf("health       %s%n", cp.path("health").asText());
        out.printf("host         %s%n", TerminalText.of(cp.path("host")));
        StringBuilder labels = new StringBuilder();
        cp.path("labels").forEach(l -> labels.append(labels.length() == 0 ? "" : ", ").append(TerminalText.of(l)));
        out.printf("labels       %s%n", labels);
        out.printf("logical      %s (%d bytes)%n", Units.bytes(cp.path("logical_bytes").asLong()), cp.path("logical_bytes").asLong());
        out.printf("stored       %s new (%d of %d chunks new)%n", Units.bytes(cp.path("stored_bytes").asLong()),
                cp.path("new_chunks").asLong(), cp.path("chunks").asLong());
        out.printf("%nparts%n");
        String fmt = "  %-9s  %4s  %11s  %7s  %s%n";
        out.printf(fmt, "TYPE", "MODE", "SIZE", "CHUNKS", "NAME");
        for (JsonNode p : res.path("parts")) {
            String name = TerminalText.of(p.path("name")) + (p.has("target") ? " -> " + TerminalText.of(p.path("target")) : "");
            out.printf(fmt, p.path("type").asText(), p.path("mode").asText(), Units.bytes(p.path("size").asLong()),
                    p.path("chunks").asText(), name);
        }
        return ExitCode.OK;
    }
}
