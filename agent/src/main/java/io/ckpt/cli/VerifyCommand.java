package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Checks what the datastore holds: every pack header and every chunk record (CRC32C, digest, sizes), and that every chunk a checkpoint names exists. With --full it also decompresses every chunk and proves its SHA-256, as a restore would. Each distinct chunk is read once, in pack order. Reports each damaged checkpoint and part by name.",
            "",
            "The whole datastore is read; --wpar only limits which damaged checkpoints are reported.",
            "",
            "While the server works, its progress goes to stderr: a line every 5 s (redrawn in place on a terminal); stdout holds only the result."
        },
        footer = {
            "",
            "JSON (--json): {\"ok\", \"full\", \"share_percent\", \"packs_total\", \"packs_selected\", \"chunks_checked\", \"bytes_checked\", \"packs_checked\", \"damaged_chunks\", \"chunk_problems\": [{\"digest\", \"problem\"}], \"damaged_checkpoints\": [{\"id\", \"wpar\", \"taken_at\", \"parts\": [{\"name\", \"problems\"}]}], \"duration_ms\"}.",
            "",
            "Examples:",
            "  ckpt verify",
            "  ckpt verify --full --json",
            "",
            "Exit status: 0 all is well, 5 damage found, 1 error, 3 not found, 4 server unreachable, 7 refused (not an admin), 9 not authenticated.",
            ""
        })
final class VerifyCommand extends ClientCommand {
    @Option(names = "--wpar", paramLabel = "GLOB", description = "Report only damaged checkpoints of matching WPARs.")
    String wpar;

    @Option(names = "--full", description = "Also decompress every chunk and prove its SHA-256.")
    boolean full;

    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Override
    int run() throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode req = m.createObjectNode().put("op", "verify").put("full", full);
        if (wpar != null) {
            req.put("wpar", wpar);
        }
        JsonNode res = request(req);
        boolean ok = res.path("ok").asBoolean();
        if (json) {
            out.println(m.writeValueAsString(res));
        } else {
            out.printf("%s: %d chunks (%s) in %d packs checked%s, %d damaged, in %s%n", ok ? "ok" : "DAMAGE FOUND",
                    res.path("chunks_checked").asLong(), Units.bytes(res.path("bytes_checked").asLong()),
                    res.path("packs_checked").asLong(), full ? " with SHA-256" : "", res.path("damaged_chunks").asLong(),
                    Units.duration(res.path("duration_ms").asLong() * 1_000_000));
            for (JsonNode c : res.path("damaged_checkpoints")) {
                out.printf("checkpoint %d of WPAR %s taken at %s:%n", c.path("id").asLong(), TerminalText.of(c.path("wpar")),
                        Units.utc(c.path("taken_at").asText()));
                for (JsonNode p : c.path("parts")) {
                    out.printf("  part %s%s%n", TerminalText.of(p.path("name")),
                            p.path("problems").isEmpty() ? "" : ": " + TerminalText.of(p.path("problems").get(0)));
                }
            }
            for (JsonNode p : res.path("chunk_problems")) {
                out.printf("  chunk %s: %s%n", p.path("digest").asText().substring(0, 16), TerminalText.of(p.path("problem")));
            }
        }
        return ok ? ExitCode.OK : ExitCode.CORRUPT;
    }
}
