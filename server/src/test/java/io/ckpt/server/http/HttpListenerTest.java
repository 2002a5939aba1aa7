package io.ckpt.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.query.CatalogQueries;
import io.ckpt.retention.RetentionConfig;
import io.ckpt.server.CkptServer;
import io.ckpt.server.ServerConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP listener of an in-process server with an empty datastore: routes, types, refusals. */
class HttpListenerTest {
    @TempDir
    static Path dir;
    static CkptServer server;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        server = CkptServer.start(new ServerConfig(dir.resolve("ds"), null, new InetSocketAddress("127.0.0.1", 0), 60,
                1 << 20, 4, 0, RetentionConfig.NONE, new InetSocketAddress("127.0.0.1", 0)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> send(String method, String path) throws Exception {
        int port = server.httpAddress().orElseThrow().getPort();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsAreInThePrometheusTextFormat() throws Exception {
        HttpResponse<String> r = send("GET", "/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));
        for (String name : new String[] {"ckpt_datastore_free_bytes ", "ckpt_datastore_size_bytes ", "ckpt_agents_connected ",
            "ckpt_alerts_active ", "ckpt_ingest_bytes_count ", "ckpt_restore_duration_seconds_count ", "ckpt_dedup_ratio "}) {
            assertTrue(r.body().contains("\n" + name), name + " missing in:\n" + r.body());
        }
    }

    @Test
    void apiAnswersJsonAndTheListIsWhatTheListRequestAnswers() throws Exception {
        HttpResponse<String> r = send("GET", "/api/v1/checkpoints");
        assertEquals(200, r.statusCode());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("content-type").orElse(""));
        assertEquals("{\"checkpoints\":[]}", r.body().trim());
        assertEquals("{\"wpars\":[]}", send("GET", "/api/v1/wpars").body().trim());
        assertEquals(0, CatalogQueries.mapper().readTree(send("GET", "/api/v1/hosts").body()).path("hosts").size());
        assertEquals("{\"jobs\":[]}", send("GET", "/api/v1/jobs").body().trim());
        assertEquals(1, CatalogQueries.mapper().readTree(send("GET", "/api/v1/usage").body()).path("samples").size());
    }

    @Test
    void unknownThingsAreNotFoundAndOnlyGetIsAllowed() throws Exception {
        assertEquals(404, send("GET", "/api/v1/nothing").statusCode());
        assertEquals(404, send("GET", "/api/v1/checkpoints/42").statusCode());
        assertEquals(400, send("GET", "/api/v1/checkpoints/x").statusCode());
        assertEquals(404, send("GET", "/api/v1/checkpoints?wpar=nosuch").statusCode());
        assertEquals(404, send("GET", "/../pom.xml").statusCode());
        assertEquals(404, send("GET", "/HttpHandler.class").statusCode());
        assertEquals(405, send("POST", "/api/v1/wpars").statusCode());
    }

    /** Issue 18, bug 8: docs/API.md promises {"error": ...} for every API error; a POST got text/plain. */
    @Test
    void everyApiErrorIsJsonNamingWhatWasWrong() throws Exception {
        record Case(String method, String path, int status, String says) {}
        for (Case c : new Case[] {
            new Case("POST", "/api/v1/wpars", 405, "GET"),
            new Case("DELETE", "/api/v1/checkpoints/1", 405, "GET"),
            new Case("GET", "/api/v1/nothing", 404, "/api/v1/nothing"),
            new Case("GET", "/api/v1/checkpoints/x", 400, "'x'"),
            new Case("GET", "/api/v1/checkpoints?wpar=nosuch", 404, "nosuch")}) {
            HttpResponse<String> r = send(c.method(), c.path());
            assertEquals(c.status(), r.statusCode(), c.toString());
            assertEquals("application/json; charset=utf-8", r.headers().firstValue("content-type").orElse(""), c.toString());
            String error = CatalogQueries.mapper().readTree(r.body()).path("error").asText("");
            assertTrue(error.contains(c.says()), c + ": " + r.body());
        }
        assertEquals("GET, HEAD", send("POST", "/api/v1/wpars").headers().firstValue("allow").orElse(""));
    }

    @Test
    void theStatusPageAndItsFilesAreServed() throws Exception {
        HttpResponse<String> r = send("GET", "/");
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("<script src=\"status.js\">"), r.body());
        assertEquals(200, send("GET", "/status.js").statusCode());
        assertEquals("text/css; charset=utf-8", send("GET", "/status.css").headers().firstValue("content-type").orElse(""));
    }
}
