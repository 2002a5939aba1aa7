package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "prune",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Applies a retention policy: removes the checkpoints no keep rule keeps, and lists each checkpoint kept with the rule(s) that kept it. The keep rules behave as restic's 'forget' options (docs/RETENTION.md); buckets use the server's time zone (UTC).",
            "",
            "Never removed, whatever the policy: a WPAR's last known good checkpoint, protected checkpoints ('ckpt protect'), uploads in progress, and checkpoints a restore is reading. A prune that would remove every checkpoint of a WPAR is refused unless --force. Removing a checkpoint frees its catalog entries; the space of chunks no checkpoint uses any more is reclaimed by garbage collection (not yet built).",
            "",
            "Try it with --dry-run first. While the server works, its progress goes to stderr (each WPAR planned and pruned); stdout holds only the result."
        },
        footer = {
            "",
            "JSON (--json): {\"dry_run\": bool, \"wpars\": [{\"wpar\", \"keep\": [{\"id\", \"taken_at\", \"reasons\"}], \"remove\": [{\"id\", \"taken_at\"}]}]}; times ISO-8601 UTC (docs/RETENTION.md).",
            "",
            "Examples:",
            "  ckpt prune --keep-hourly 24 --keep-daily 7 --keep-weekly 4 --dry-run",
            "  ckpt prune --wpar 'web*' --keep-last 48 --keep-good 3",
            "  ckpt prune --keep-within 2d --keep-label release --keep-label env=prod,tier=1",
            "",
            "Exit status: 0 success, 1 error, 2 bad usage (or a prune of everything without --force), 3 not found, 4 server unreachable, 5 data damaged, 6 disk full, 7 refused, 9 not authenticated.",
            ""
        })
final class PruneCommand extends ClientCommand {
    @Option(names = "--wpar", paramLabel = "GLOB", description = "Only WPARs whose name matches (* and ? wildcards; default: all).")
    String wpar;

    @Option(names = "--keep-last", paramLabel = "N", description = "Keep the N newest checkpoints (-1: all).")
    Integer keepLast;

    @Option(names = "--keep-hourly", paramLabel = "N", description = "Keep the newest of each of the last N hours that have one.")
    Integer keepHourly;

    @Option(names = "--keep-daily", paramLabel = "N", description = "Likewise per day.")
    Integer keepDaily;

    @Option(names = "--keep-weekly", paramLabel = "N", description = "Likewise per ISO week.")
    Integer keepWeekly;

    @Option(names = "--keep-monthly", paramLabel = "N", description = "Likewise per month.")
    Integer keepMonthly;

    @Option(names = "--keep-yearly", paramLabel = "N", description = "Likewise per year.")
    Integer keepYearly;

    @Option(names = "--keep-within", paramLabel = "DURATION", description = "Keep all taken within DURATION (e.g. 2d, 1y6m, 12h) of the newest.")
    String keepWithin;

    @Option(names = "--keep-within-hourly", paramLabel = "DURATION", description = "Keep hourly ones within DURATION of the newest.")
    String keepWithinHourly;

    @Option(names = "--keep-within-daily", paramLabel = "DURATION", description = "Keep daily ones within DURATION.")
    String keepWithinDaily;

    @Option(names = "--keep-within-weekly", paramLabel = "DURATION", description = "Keep weekly ones within DURATION.")
    String keepWithinWeekly;

    @Option(names = "--keep-within-monthly", paramLabel = "DURATION", description = "Keep monthly ones within DURATION.")
    String keepWithinMonthly;

    @Option(names = "--keep-within-yearly", paramLabel = "DURATION", description = "Keep yearly ones within DURATION.")
    String keepWithinYearly;

    @Option(names = "--keep-good", paramLabel = "N", description = "Keep the N newest good checkpoints.")
    Integer keepGood;

    @Option(names = "--keep-label", paramLabel = "L[,L...]", description = "Keep those carrying all these labels; repeatable (any group).")
    List<String> keepLabel = new ArrayList<>();

    @Option(names = "--dry-run", description = "Only show what would be kept and removed.")
    boolean dryRun;

    @Option(names = "--force", description = "Allow a prune that removes every checkpoint of a WPAR.")
    boolean force;

    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Override
    int run() throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode policy = m.createObjectNode();
        put(policy, "keep-last", keepLast);
        put(policy, "keep-hourly", keepHourly);
        put(policy, "keep-daily", keepDaily);
        put(policy, "keep-weekly", keepWeekly);
        put(policy, "keep-monthly", keepMonthly);
        put(policy, "keep-yearly", keepYearly);
        put(policy, "keep-within", keepWithin);
        put(policy, "keep-within-hourly", keepWithinHourly);
        put(policy, "keep-within-daily", keepWithinDaily);
        put(policy, "keep-within-weekly", keepWithinWeekly);
        put(policy, "keep-within-monthly", keepWithinMonthly);
        put(policy, "keep-within-yearly", keepWithinYearly);
        put(policy, "keep-good", keepGood);
        if (!keepLabel.isEmpty()) {
            ArrayNode groups = policy.putArray("keep-label");
            keepLabel.forEach(groups::add);
        }
        ObjectNode req = m.createObjectNode().put("op", "prune").put("dry_run", dryRun).put("force", force);
        if (wpar != null) {
            req.put("wpar", wpar);
        }
        if (!policy.isEmpty()) {
            req.set("policy", policy);
        }
        JsonNode res = request(req);
        if (json) {
            out.println(m.writeValueAsString(res));
            return ExitCode.OK;
        }
        int removed = 0;
        for (JsonNode w : res.path("wpars")) {
            out.printf("%s: keep %d, %s %d%n", TerminalText.of(w.path("wpar")), w.path("keep").size(),
                    dryRun ? "would remove" : "removed", w.path("remove").size());
            for (JsonNode k : w.path("keep")) {
                List<String> reasons = new ArrayList<>();
                k.path("reasons").forEach(r -> reasons.add(r.asText()));
                out.printf("  keep    %8d  %s  %s%n", k.path("id").asLong(), Units.utc(k.path("taken_at").asText()),
                        String.join(", ", reasons));
            }
            for (JsonNode r : w.path("remove")) {
                out.printf("  %s  %8d  %s%n", dryRun ? "remove?" : "removed", r.path("id").asLong(),
                        Units.utc(r.path("taken_at").asText()));
                removed++;
            }
        }
        if (dryRun) {
            err.printf("dry run: nothing removed (%d would be)%n", removed);
        }
        return ExitCode.OK;
    }

    private static void put(ObjectNode o, String key, Object v) {
        if (v instanceof Integer i) {
            o.put(key, i);
        } else if (v instanceof String s) {
            o.put(key, s);
        }
    }
}
