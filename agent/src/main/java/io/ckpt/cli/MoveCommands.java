package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.net.ClientException;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.protocol.ErrorCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ckpt hosts}, {@code relocate}, {@code failover}, {@code rebalance}: WPARs between hosts (docs/RELOCATION.md). */
final class MoveCommands {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MoveCommands() {}

    /** A move request: may run as long as the agents take, so its reply is awaited up to the step timeouts. */
    abstract static class MoveCommand extends ClientCommand {
        @Option(names = "--step-timeout", paramLabel = "SECONDS", defaultValue = "1800",
                description = "Longest a final checkpoint or a restore-and-start may take on an agent (default: ${DEFAULT-VALUE}).")
        long stepTimeout;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        JsonNode move(ObjectNode req) throws java.io.IOException {
            req.put("step_timeout_seconds", stepTimeout);
            try (CkptClient c = client.connect()) {
                ProgressLine progress = showProgress(c);
                try {
                    return c.request(req, (stepTimeout * 4 + 60) * 1000);
                } finally {
                    progress.finish();
                }
            }
        }

        /**
         * {@link #move}, with a move the server refuses as things stand (CONFLICT: the host is
         * live, the WPAR's state is unknown, no live target) exiting 7, "refused", like any refusal.
         */
        JsonNode moveOrRefused(ObjectNode req) throws java.io.IOException {
            try {
                return move(req);
            } catch (ClientException e) {
                if (e.code() == ErrorCode.CONFLICT) {
                    throw new CliException(ExitCode.REFUSED, e.getMessage());
                }
                throw e;
            }
        }

        /** Prints one move's steps, each with its duration, then its result and downtime. */
        void print(JsonNode r) {
            out.printf("%s: %s -> %s%n", TerminalText.of(r.path("wpar")), TerminalText.of(r.path("from")), TerminalText.of(r.path("to")));
            if (r.has("checkpoint")) {
                out.printf("  checkpoint %d%s%n", r.path("checkpoint").asLong(),
                        r.has("taken_at") ? " (taken " + TerminalText.of(r.path("taken_at")) + ")" : "");
            }
            for (JsonNode s : r.path("steps")) {
                out.printf("  %-40s %-10s %7.2f s  %s%s%n", TerminalText.of(s.path("step")), TerminalText.of(s.path("host")),
                        s.path("seconds").asDouble(), s.path("ok").asBoolean() ? "ok" : "FAILED",
                        s.has("detail") ? "  " + s.path("detail").asText() : "");
            }
            if (r.has("downtime_seconds")) {
                out.printf("  downtime %.2f s (WPAR stopped on the source -> healthy on the target)%s%n",
                        r.path("downtime_seconds").asDouble(), r.has("transfer_seconds")
                                ? String.format(", of which restore %.2f s (%s fetched, %s reused from the pre-staged copy)",
                                        r.path("transfer_seconds").asDouble(), Units.bytes(r.path("fetched_bytes").asLong()),
                                        Units.bytes(r.path("reused_bytes").asLong())) : "");
            }
            out.println("  " + (r.path("ok").asBoolean() ? "" : "FAILED: ") + TerminalText.of(r.path("result")));
        }

        int finish(JsonNode r) throws java.io.IOException {
            if (json) {
                out.println(JSON.writeValueAsString(r));
            }
            return r.path("ok").asBoolean() ? ExitCode.OK : ExitCode.ERROR;
        }
    }

    @Command(
            name = "relocate",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = {
                "Moves a running WPAR to another host, planned: the owning host's agent takes a final checkpoint that stops the WPAR (source.final-command; chkptwpar -k for aix), the server hands ownership to the target (epoch + 1, so the source is fenced), and the target's agent restores that checkpoint and starts it (restart.command), then checks its health.",
                "",
                "Nothing is half moved: if the final checkpoint fails the WPAR stays where it was; if the target cannot start it, ownership goes back to the source, which restarts it from the final checkpoint. Both agents must be running (see 'ckpt hosts').",
                "",
                "Prints each step with its duration and the downtime: from the final checkpoint's start to the WPAR healthy on the target. While it runs, its progress goes to stderr."
            },
            footer = {
                "",
                "JSON (--json): {\"wpar\", \"from\", \"to\", \"checkpoint\", \"epoch\", \"steps\": [{\"step\", \"host\", \"seconds\", \"ok\", \"detail\"}], \"downtime_seconds\", \"transfer_seconds\", \"total_seconds\", \"ok\", \"result\"}.",
                "",
                "Examples:",
                "  ckpt relocate web01 --to nodeB",
                "",
                "Exit status: 0 moved, 1 the move failed (the report says where the WPAR is), 3 unknown WPAR, 4 server unreachable, 7 refused (not an admin; or as things stand: the host is live, the WPAR's state is unknown, no live target), 9 not authenticated.",
                ""
            })
    static final class Relocate extends MoveCommand {
        @Parameters(index = "0", paramLabel = "WPAR", description = "The WPAR to move.")
        String wpar;

        @Option(names = "--to", required = true, paramLabel = "HOST", description = "The host id of the target agent.")
        String to;

        @Override
        int run() throws Exception {
            JsonNode r = moveOrRefused(JSON.createObjectNode().put("op", "relocate").put("wpar", wpar).put("to", to));
            if (!json) {
                print(r);
            }
            return finish(r);
        }
    }

    @Command(
            name = "failover",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = {
                "Unplanned move: restarts every WPAR a dead host owns on a backup host. For each WPAR the server takes ownership away from the dead host (epoch + 1: if it comes back, its uploads and starts are refused) and asks the target's agent to restore the WPAR's last known good checkpoint (or, with --latest, its newest complete one) and start it.",
                "",
                "The target is --to, else the first live host of the WPAR's placement (server config), else another live agent whose config has the WPAR. Refused while the host's agent still polls the server (relocate instead), unless --force (a hung host whose agent still answers)."
            },
            footer = {
                "",
                "JSON (--json): {\"from\", \"point\", \"wpars\": [one relocate-like report per WPAR], \"ok\"}.",
                "",
                "Examples:",
                "  ckpt failover --from nodeA",
                "  ckpt failover --from nodeA --to nodeC --latest",
                "",
                "Exit status: 0 every WPAR runs elsewhere, 1 some did not (each is named), 4 server unreachable, 7 refused (not an admin; or as things stand: the host is live, the WPAR's state is unknown, no live target), 9 not authenticated.",
                ""
            })
    static final class Failover extends MoveCommand {
        @Option(names = "--from", required = true, paramLabel = "HOST", description = "The host that died.")
        String from;

        @Option(names = "--to", paramLabel = "HOST", description = "Where to start its WPARs (default: by placement).")
        String to;

        @Option(names = "--latest", description = "Start the newest complete checkpoint, not the last known good.")
        boolean latest;

        @Option(names = "--force", description = "Fail over even though the host's agent still polls the server.")
        boolean force;

        @Override
        int run() throws Exception {
            ObjectNode req = JSON.createObjectNode().put("op", "failover").put("from", from)
                    .put("point", latest ? "latest" : "lkg").put("force", force);
            if (to != null) {
                req.put("to", to);
            }
            JsonNode r = moveOrRefused(req);
            if (!json) {
                if (r.has("result")) {
                    out.println(TerminalText.of(r.path("result")));
                }
                for (JsonNode w : r.path("wpars")) {
                    print(w);
                }
            }
            return finish(r);
        }
    }

    @Command(
            name = "rebalance",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = {"Moves every WPAR back to its primary host (server config 'placement') where that host and the current one are both live: one relocation each, in turn."},
            footer = {"", "Exit status: 0 all moved or nothing to move, 1 a move failed, 4 server unreachable, 7 refused (not an admin; or as things stand: the host is live, the WPAR's state is unknown, no live target), 9 not authenticated.", ""})
    static final class Rebalance extends MoveCommand {
        @Override
        int run() throws Exception {
            JsonNode r = moveOrRefused(JSON.createObjectNode().put("op", "rebalance"));
            if (!json) {
                if (r.path("moves").isEmpty()) {
                    out.println("every WPAR runs on its primary (or has no placement)");
                }
                for (JsonNode m : r.path("moves")) {
                    print(m);
                }
            }
            return finish(r);
        }
    }

    @Command(
            name = "hosts",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = {"Lists the hosts the server knows: each agent's last heartbeat (control poll), whether it is live (polled within the lease), the WPARs it owns with their ownership epochs, and the WPARs its config has."},
            footer = {"", "JSON (--json): {\"hosts\": [{\"host\", \"address\", \"last_heartbeat\", \"seconds_since_heartbeat\", \"live\", \"owns\": [{\"wpar\", \"epoch\", \"state\" (\"unknown\" when it may run there unknown to the server, with \"unknown_on\", \"unknown_since\", \"unknown_reason\")}], \"configured_wpars\": [{\"name\", \"restartable\"}]}], \"unowned_wpars\", \"lease_seconds\"}.", ""})
    static final class Hosts extends ClientCommand {
        @Option(names = "--json", description = "Print JSON for scripts.")
        boolean json;

        @Override
        int run() throws Exception {
            JsonNode r = request(JSON.createObjectNode().put("op", "hosts"));
            if (json) {
                out.println(JSON.writeValueAsString(r));
                return ExitCode.OK;
            }
            out.printf("%-16s %-5s %-24s %s%n", "HOST", "LIVE", "LAST HEARTBEAT", "OWNS");
            for (JsonNode h : r.path("hosts")) {
                StringBuilder owns = new StringBuilder();
                for (JsonNode o : h.path("owns")) {
                    owns.append(owns.length() == 0 ? "" : ", ").append(o.path("wpar").asText()).append(" (epoch ")
                            .append(o.path("epoch").asLong())
                            .append(o.path("state").asText().equals("unknown") ? ", STATE UNKNOWN: may be running on "
                                    + TerminalText.of(o.path("unknown_on")) + ": " + TerminalText.of(o.path("unknown_reason")) : "")
                            .append(')');
                }
                out.printf("%-16s %-5s %-24s %s%n", TerminalText.of(h.path("host")), h.path("live").asBoolean() ? "yes" : "NO",
                        h.path("last_heartbeat").asText("never"), owns.length() == 0 ? "-" : owns);
            }
            return ExitCode.OK;
        }
    }
}
