package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code protect} and {@code unprotect}: keep a checkpoint whatever retention says. */
abstract class ProtectCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "Checkpoint id.")
    long id;

    @Option(names = "--json", description = "Print the checkpoint as JSON.")
    boolean json;

    abstract boolean protect();

    @Override
    int run() throws Exception {
        ObjectMapper m = new ObjectMapper();
        JsonNode res = request(m.createObjectNode().put("op", "protect").put("id", id).put("protected", protect()));
        if (json) {
            out.println(m.writeValueAsString(res));
        } else {
            JsonNode cp = res.path("checkpoint");
            err.printf("checkpoint %d of WPAR %s (taken at %s) %s%n", cp.path("id").asLong(), TerminalText.of(cp.path("wpar")),
                    Units.utc(cp.path("taken_at").asText()), protect() ? "protected: prune never removes it"
                            : "no longer protected: retention applies to it again");
        }
        return ExitCode.OK;
    }

    @Command(
            name = "protect",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Protects a complete checkpoint: prune never removes it, whatever the retention policy says, until 'ckpt unprotect'.",
            footer = {
                "",
                "Example:",
                "  ckpt protect 42",
                "",
                "Exit status: 0 success, 1 error, 2 bad usage, 3 not found, 4 server unreachable, 5 data damaged, 6 disk full, 7 refused, 9 not authenticated.",
                ""
            })
    static final class On extends ProtectCommand {
        @Override
        boolean protect() {
            return true;
        }
    }

    @Command(
            name = "unprotect",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Lifts the protection of a checkpoint: retention applies to it again.",
            footer = {
                "",
                "Example:",
                "  ckpt unprotect 42",
                "",
                "Exit status: 0 success, 1 error, 2 bad usage, 3 not found, 4 server unreachable, 5 data damaged, 6 disk full, 7 refused, 9 not authenticated.",
                ""
            })
    static final class Off extends ProtectCommand {
        @Override
        boolean protect() {
            return false;
        }
    }
}
