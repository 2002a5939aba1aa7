package io.ckpt.cli;

import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.ConfigException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Where the local agent's control endpoint is: --control, else the config's, else 127.0.0.1:7430. */
final class ControlOptions {
    @Option(names = "--control", paramLabel = "HOST:PORT", description = "The agent's control endpoint (default: from --config, else 127.0.0.1:7430).")
    String control;

    @Option(names = "--config", paramLabel = "FILE", description = "The agent's config file, to find its control endpoint.")
    Path config;

    String endpoint() throws CliException {
        if (control != null) {
            return control;
        }
        if (config != null) {
            try {
                return AgentConfig.load(config).control().toString();
            } catch (ConfigException e) {
                throw new CliException(ExitCode.USAGE, e.getMessage());
            }
        }
        return AgentConfig.DEFAULT_CONTROL.toString();
    }

    /** Calls the agent; returns the JSON body, or fails with a clear message when no agent answers. */
    String call(String method, String path) throws IOException {
        return call(method, path, Duration.ofSeconds(30));
    }

    /** Like {@link #call(String, String)} with a longer wait (a final checkpoint). */
    String call(String method, String path, Duration timeout) throws IOException {
        String ep = endpoint();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + ep + path)).timeout(timeout)
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> res;
        try {
            res = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(req, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new CliException(ExitCode.UNREACHABLE, "no ckpt agent answers at " + ep
                    + "; is it running ('ckpt agent --config FILE')? Give --control or --config otherwise");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (res.statusCode() == 404) {
            throw new CliException(ExitCode.NOT_FOUND, new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(res.body()).path("error").asText("not found"));
        }
        if (res.statusCode() != 200) {
            throw new CliException(ExitCode.ERROR, "agent at " + ep + " answered HTTP " + res.statusCode() + ": " + res.body());
        }
        return res.body();
    }
}
