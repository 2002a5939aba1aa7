package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "gc",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Reclaims space: forgets the chunks no checkpoint uses any more (after prune, or left by broken uploads), copies the live chunks of packs that are mostly dead into new packs, and deletes the old pack files. Runs beside uploads and restores: an upload never loses a chunk it has just deduplicated against, and a pack file a running restore may read is deleted only by a later run.",
            "",
            "--dry-run reports what a run would forget and compact, changing nothing.",
            "",
            "While the server works, its progress goes to stderr: a line every 5 s (redrawn in place on a terminal); stdout holds only the result.",
            "",
            "A run that could not compact a pack it should have (too little free space for the pack's live chunks, or a read or write error) does all the rest, then fails with one line naming each such pack, why, and what the run did: exit 6 when space is short (free space, or keep --reserve at least half of --pack-size), 1 otherwise."
        },
        footer = {
            "",
            "JSON (--json): {\"dry_run\", \"chunks_removed\", \"bytes_removed\", \"packs_compacted\", \"bytes_rewritten\", \"packs_deleted\", \"bytes_freed\", \"packs_waiting_for_restores\", \"duration_ms\"} (dry run: the first four).",
            "",
            "Examples:",
            "  ckpt prune --keep-daily 7 && ckpt gc",
            "  ckpt gc --dry-run",
            "",
            "Exit status: 0 success, 1 error (a pack not compacted for another reason), 4 server unreachable, 6 disk full (a pack not compacted for lack of space), 7 refused (not an admin), 9 not authenticated.",
            ""
        })
final class GcCommand extends ClientCommand {
    @Option(names = "--dry-run", description = "Only report what would be reclaimed.")
    boolean dryRun;

    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Override
    int run() throws Exception {
        ObjectMapper m = new ObjectMapper();
        JsonNode res = request(m.createObjectNode().put("op", "gc").put("dry_run", dryRun));
        if (json) {
            out.println(m.writeValueAsString(res));
        } else if (dryRun) {
            out.printf("would forget %d unused chunks (%s) and compact %d pack(s)%n", res.path("chunks_removed").asLong(),
                    Units.bytes(res.path("bytes_removed").asLong()), res.path("packs_compacted").asLong());
        } else {
            out.printf("forgot %d unused chunks (%s), compacted %d pack(s) (%s copied), deleted %d pack file(s): %s freed%s%n",
                    res.path("chunks_removed").asLong(), Units.bytes(res.path("bytes_removed").asLong()),
                    res.path("packs_compacted").asLong(), Units.bytes(res.path("bytes_rewritten").asLong()),
                    res.path("packs_deleted").asLong(), Units.bytes(res.path("bytes_freed").asLong()),
                    res.path("packs_waiting_for_restores").asLong() > 0
                            ? "; " + res.path("packs_waiting_for_restores").asLong() + " left for the next run (restores were running)" : "");
        }
        return ExitCode.OK;
    }
}
