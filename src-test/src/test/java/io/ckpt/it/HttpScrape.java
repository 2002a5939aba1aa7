package io.ckpt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** GETs from a server's HTTP listener: JSON from /api/v1, samples from /metrics. */
public final class HttpScrape {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*\\})?) (\\S+)$");

    private final String base;

    public HttpScrape(ServerProcess server) {
        this.base = "http://127.0.0.1:" + server.httpPort();
    }

    public String base() {
        return base;
    }

    public String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), () -> "GET " + path + ": " + r.body());
        return r.body();
    }

    public JsonNode json(String path) throws IOException, InterruptedException {
        return JSON.readTree(get(path));
    }

    /** Every sample of /metrics, by name with its labels as printed ({@code ckpt_wpar_checkpoints{wpar="web01"}}). */
    public Map<String, Double> metrics() throws IOException, InterruptedException {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : get("/metrics").split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches()) {
                out.put(m.group(1), Double.parseDouble(m.group(2)));
            }
        }
        return out;
    }
}
