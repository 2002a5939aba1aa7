package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.ConfigException;
import io.ckpt.agent.net.CkptClient;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Shows the local agent's WPARs: the last checkpoint (time, result, duration, bytes sent), the next one due, checkpoints waiting in the spool, recent failures with their reason, and each WPAR's last known good checkpoint on the server (the server the agent uploads to, unless --server is given; with --config, reached with that config's tls-ca, token-file and host-id unless a credential option or variable is given)."
        },
        footer = {
            "",
            "JSON (--json): the agent's status {host_id, server, server_load, wpars: [{wpar, last_run, next_due, running, queued, spooled, last, recent_failures, dropped_total, recent_drops: [{taken_at, kind, health, protected, reason}], lkg}]}; see docs/AGENT.md.",
            "",
            "Exit status: 0 success, 1 error, 4 no agent answers.",
            ""
        })
final class StatusCommand extends ClientCommand {
    @Mixin
    ControlOptions control;

    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    /**
     * A connection to the agent's server as the agent makes it: with the CA, token and host id of
     * its config when {@code --config} is given and no credential option or variable overrides
     * them (issue 18, bug 3), else as every client command connects.
     */
    private CkptClient connect(String server) throws IOException {
        if (control.config != null && !client.hasCredentials()) {
            AgentConfig cfg;
            try {
                cfg = AgentConfig.load(control.config);
            } catch (ConfigException e) {
                throw new CliException(ExitCode.USAGE, e.getMessage());
            }
            return CkptClient.connect(server, cfg.hostId(), cfg.serverAuth().credentials());
        }
        return CkptClient.connect(server, client.hostId(), client.credentials());
    }

    @Override
    int run() throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode status = (ObjectNode) m.readTree(control.call("GET", "/status"));
        String server = client.server != null ? client.server() : status.path("server").asText();
        String serverNote = "";
        JsonNode load = null;
        try (CkptClient c = connect(server)) {
            try {
                load = c.request(m.createObjectNode().put("op", "load"));
                status.set("server_load", load);
            } catch (io.ckpt.agent.net.ClientException e) {
                load = null; // a server from before the load request: nothing to show
            }
            for (JsonNode w : status.path("wpars")) {
                ObjectNode req = m.createObjectNode().put("op", "select").put("wpar", w.path("wpar").asText())
                        .put("last_known_good", true);
                try {
                    ((ObjectNode) w).set("lkg", c.request(req).path("checkpoint"));
                } catch (io.ckpt.agent.net.ClientException e) {
                    ((ObjectNode) w).putNull("lkg");
                }
            }
        } catch (io.ckpt.agent.net.ClientException e) {
            serverNote = "server " + server + " unreachable: last known good not shown";
        }
        if (json) {
            out.println(m.writeValueAsString(status));
            return ExitCode.OK;
        }
        out.printf("agent %s, server %s%n", TerminalText.of(status.path("host_id")), server);
        if (load != null) {
            out.println(loadLine(load));
        }
        out.println();
        for (JsonNode w : status.path("wpars")) {
            JsonNode last = w.path("last");
            out.printf("%s%n", TerminalText.of(w.path("wpar")));
            if (last.isMissingNode()) {
                out.printf("  last      none yet%n");
            } else {
                out.printf("  last      %s %s (%d ms%s%s)%s%n", Units.utc(last.path("started_at").asText()),
                        last.path("result").asText(), last.path("duration_ms").asLong(),
                        last.has("bytes_sent") ? ", " + Units.bytes(last.path("bytes_sent").asLong()) + " sent" : "",
                        last.has("checkpoint_id") ? ", checkpoint " + last.path("checkpoint_id").asLong() : "",
                        last.has("error") ? ": " + last.path("error").asText() : "");
            }
            out.printf("  next due  %s%s%n", Units.utc(w.path("next_due").asText()),
                    w.path("running").asBoolean() ? " (one running now)" : "");
            if (w.path("spooled").asInt() > 0) {
                out.printf("  spooled   %d waiting for upload%n", w.path("spooled").asInt());
            }
            JsonNode lkg = w.path("lkg");
            if (lkg.isObject()) {
                out.printf("  LKG       checkpoint %d taken at %s%n", lkg.path("id").asLong(), Units.utc(lkg.path("taken_at").asText()));
            } else if (serverNote.isEmpty()) {
                out.printf("  LKG       none%n");
            }
            for (JsonNode f : w.path("recent_failures")) {
                out.printf("  failed    %s: %s%n", Units.utc(f.path("started_at").asText()), TerminalText.of(f.path("error")));
            }
            if (w.path("dropped_total").asInt() > 0) {
                out.printf("  DROPPED   %d spooled checkpoint(s) never uploaded (spool limits)%n", w.path("dropped_total").asInt());
            }
            for (JsonNode d : w.path("recent_drops")) {
                out.printf("  dropped   %s %s, health %s%s: %s%n", Units.utc(d.path("taken_at").asText()), TerminalText.of(d.path("kind")),
                        d.path("health").asText(), d.path("protected").asBoolean() ? " (its LAST " + ("final".equals(
                        d.path("kind").asText()) ? "final" : "good") + " copy)" : "", TerminalText.of(d.path("reason")));
            }
            out.println();
        }
        if (!serverNote.isEmpty()) {
            err.println("ckpt: " + serverNote);
        }
        return ExitCode.OK;
    }

    /** The server's load in one line: upload slots and queue, restores, time ingest yielded and was throttled. */
    static String loadLine(JsonNode load) {
        JsonNode u = load.path("uploads");
        JsonNode r = load.path("restores");
        JsonNode h = load.path("host_upload_rate");
        StringBuilder b = new StringBuilder(String.format(java.util.Locale.ROOT, "server load: %d of %d upload slots busy, %d waiting",
                u.path("active").asInt(), u.path("max").asInt(), u.path("waiting").asInt()));
        if (u.path("waiting").asInt() > 0) {
            b.append(String.format(java.util.Locale.ROOT, " (oldest %.0f s)", u.path("oldest_wait_seconds").asDouble()));
        }
        b.append(String.format(java.util.Locale.ROOT, "; %d restore(s) running; since start: %d upload(s) waited %.1f s,"
                + " %d refused busy, ingest yielded %.1f s to restores, hosts throttled %.1f s",
                r.path("active").asInt(), u.path("queued_total").asLong(), u.path("wait_seconds_total").asDouble(),
                u.path("refused_busy_total").asLong() + u.path("wait_timeouts_total").asLong(),
                r.path("ingest_paused_seconds_total").asDouble(), h.path("throttled_seconds_total").asDouble()));
        return b.toString();
    }
}
