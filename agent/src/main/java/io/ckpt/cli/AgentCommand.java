package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.agent.AgentDaemon;
import io.ckpt.agent.config.ConfigException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "agent",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        subcommands = {AgentCommand.CheckpointNow.class, AgentCommand.FinalCheckpoint.class, AgentCommand.Health.class},
        description = {
            "Runs the ckpt agent on a WPAR host: checkpoints each WPAR of its config on its schedule (hourly by default) with the configured command (AIX chkptwpar, any command, a command's stdout, or a directory), captures the WPAR's file systems beside it, runs its health check, and uploads the result, spooling it locally while the server cannot be reached. Logs one line per event on stderr.",
            "",
            "SIGHUP reloads the config; an invalid new config is reported and the running one kept. SIGTERM stops after the checkpoints under way (waiting at most 30 s; a paused WPAR is resumed in any case). docs/AGENT.md documents every config key."
        },
        footer = {
            "",
            "Examples:",
            "  ckpt agent --config /etc/ckpt/agent.yaml",
            "  ckpt agent checkpoint-now web01",
            "",
            "Exit status: 0 stopped cleanly, 2 invalid config or usage, 1 other error.",
            ""
        })
final class AgentCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "The agent's YAML config (required to run the agent).")
    Path config;

    @Option(names = "--debug", description = "Print stack traces with errors.")
    boolean debug;

    @Override
    public Integer call() {
        // The daemon logs every event at info (the client commands only warn); set before any logger exists.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "info");
        System.setProperty("org.slf4j.simpleLogger.log.io.netty", "warn");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
        if (config == null) {
            System.err.println("ckpt agent: give --config FILE (see 'ckpt agent --help')");
            return ExitCode.USAGE;
        }
        AgentDaemon daemon;
        try {
            daemon = AgentDaemon.start(config, InstantSource.system());
        } catch (ConfigException e) {
            System.err.println("ckpt agent: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (Exception e) {
            if (debug) {
                e.printStackTrace();
            }
            System.err.println("ckpt agent: " + e.getMessage());
            return ExitCode.ERROR;
        }
        for (String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> new Thread(daemon::close, "stop").start());
        }
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> new Thread(daemon::reload, "reload").start());
        } catch (IllegalArgumentException e) {
            System.err.println("ckpt agent: SIGHUP cannot be handled here; restart to reload the config");
        }
        try {
            daemon.awaitClose();
        } catch (InterruptedException e) {
            daemon.close();
        }
        return ExitCode.OK;
    }

    @Command(
            name = "checkpoint-now",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Asks the running agent on this host to checkpoint a WPAR now, outside its schedule. If one is running, exactly one more follows it.",
            footer = {
                "",
                "Example:",
                "  ckpt agent checkpoint-now web01",
                "",
                "Exit status: 0 started or queued, 3 WPAR not in the agent's config, 4 no agent answers, 1 other error.",
                ""
            })
    static final class CheckpointNow extends AgentCall {
        @Override
        String ask() throws Exception {
            return control.call("POST", "/checkpoint-now/" + wpar);
        }

        @Override
        int answer(JsonNode res) {
            if (!json) {
                System.err.println("WPAR " + wpar + ": checkpoint " + ("started".equals(res.path("result").asText())
                        ? "started" : "queued after the one running"));
            }
            return ExitCode.OK;
        }
    }

    @Command(
            name = "final-checkpoint",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Asks the running agent on this host for the final checkpoint of a WPAR: the checkpoint that stops it (source.final-command; chkptwpar -k for aix), uploaded at once. Waits until the checkpoint is on the server. This is the PowerHA stop script's step (contrib/powerha); 'ckpt relocate' asks for the same through the server.",
            footer = {
                "",
                "JSON (--json): {\"ok\", \"checkpoint\", \"checkpoint_seconds\", \"upload_seconds\", \"detail\"}.",
                "",
                "Example:",
                "  ckpt agent final-checkpoint web01",
                "",
                "Exit status: 0 taken and uploaded (the WPAR is stopped), 1 failed (the WPAR may still run), 3 WPAR not in the agent's config, 4 no agent answers.",
                ""
            })
    static final class FinalCheckpoint extends AgentCall {
        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "1800",
                description = "How long to wait for the checkpoint and its upload (default: ${DEFAULT-VALUE}).")
        long timeout;

        @Override
        String ask() throws Exception {
            return control.call("POST", "/final-checkpoint/" + wpar, java.time.Duration.ofSeconds(timeout));
        }

        @Override
        int answer(JsonNode res) {
            if (!json) {
                System.err.println("WPAR " + wpar + ": " + TerminalText.of(res.path("detail")));
                System.out.println(res.path("checkpoint").asLong());
            }
            return res.path("ok").asBoolean() ? ExitCode.OK : ExitCode.ERROR;
        }
    }

    @Command(
            name = "health",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Runs a WPAR's health check (its config's health section) through the running agent and prints the verdict. The PowerHA custom application monitor (contrib/powerha) is this command.",
            footer = {
                "",
                "Example:",
                "  ckpt agent health web01 && echo up",
                "",
                "Exit status: 0 good, 1 bad, 8 unknown (no health check configured), 3 WPAR not in the agent's config, 4 no agent answers.",
                ""
            })
    static final class Health extends AgentCall {
        @Override
        String ask() throws Exception {
            return control.call("GET", "/health/" + wpar, java.time.Duration.ofSeconds(120));
        }

        @Override
        int answer(JsonNode res) {
            if (!json) {
                String reason = res.path("reason").asText("");
                System.out.println(res.path("health").asText() + (reason.isEmpty() ? "" : ": " + reason));
            }
            return switch (res.path("health").asText()) {
                case "good" -> ExitCode.OK;
                case "bad" -> ExitCode.ERROR;
                default -> 8;
            };
        }
    }

    /**
     * A question for the running agent on this host over its control endpoint: {@code WPAR}, the
     * endpoint options and {@code --json}; failures print one line and map to the exit status.
     */
    abstract static class AgentCall implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "WPAR", description = "The WPAR.")
        String wpar;

        @Mixin
        ControlOptions control;

        @Option(names = "--json", description = "Print the agent's answer as JSON.")
        boolean json;

        /** Asks the agent and returns its JSON answer's text. */
        abstract String ask() throws Exception;

        /** Prints the answer for a person and returns the exit status. */
        abstract int answer(JsonNode res);

        @Override
        public Integer call() {
            try {
                String body = ask();
                JsonNode res = new ObjectMapper().readTree(body);
                if (json) {
                    System.out.println(body);
                }
                int status = answer(res);
                return status;
            } catch (Exception e) {
                System.err.println("ckpt: " + e.getMessage());
                return ExitCode.of(e);
            }
        }
    }
}
