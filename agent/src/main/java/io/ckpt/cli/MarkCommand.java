package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mark-good} and {@code mark-bad}: the operator's word on a checkpoint's health. */
abstract class MarkCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "Checkpoint id.")
    long id;

    @Option(names = "--json", description = "Print the checkpoint as JSON.")
    boolean json;

    abstract String health();

    String reason() {
        return "";
    }

    @Override
    int run() throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode req = m.createObjectNode().put("op", "mark").put("id", id).put("health", health()).put("reason", reason());
        JsonNode res = request(req);
        if (json) {
            out.println(m.writeValueAsString(res));
        } else {
            JsonNode cp = res.path("checkpoint");
            err.printf("checkpoint %d of WPAR %s (taken at %s) marked %s%n", cp.path("id").asLong(),
                    cp.path("wpar").asText(), Units.utc(cp.path("taken_at").asText()), health());
        }
        return ExitCode.OK;
    }

    @Command(
            name = "mark-good",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = {
                "Marks a complete checkpoint good: its WPAR's application was healthy in it. The newest good checkpoint of a WPAR is its last known good (LKG), which 'ckpt restore --last-known-good' brings back."
            },
            footer = {
                "",
                "Example:",
                "  ckpt mark-good 42",
                "",
                "Exit status: 0 success, 1 error, 2 bad usage, 3 not found, 4 server unreachable, 5 data damaged, 6 disk full, 7 refused, 9 not authenticated.",
                ""
            })
    static final class Good extends MarkCommand {
        @Override
        String health() {
            return "good";
        }
    }

    @Command(
            name = "mark-bad",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = {
                "Marks a complete checkpoint bad (the application did not come up healthy from it, say). A bad checkpoint is never the last known good; if it was, the good one before it takes its place."
            },
            footer = {
                "",
                "Example:",
                "  ckpt mark-bad 42 --reason 'db did not start after restore'",
                "",
                "Exit status: 0 success, 1 error, 2 bad usage, 3 not found, 4 server unreachable, 5 data damaged, 6 disk full, 7 refused, 9 not authenticated.",
                ""
            })
    static final class Bad extends MarkCommand {
        @Option(names = "--reason", paramLabel = "TEXT", description = "Why it is bad; shown with the checkpoint.")
        String reason = "";

        @Override
        String health() {
            return "bad";
        }

        @Override
        String reason() {
            return reason;
        }
    }
}
