package io.ckpt.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The agent's local control endpoint (JDK HTTP server, loopback by default): {@code GET /status},
 * {@code POST /checkpoint-now/WPAR}, {@code POST /final-checkpoint/WPAR} and {@code GET /health/WPAR},
 * all answering JSON. Used by {@code ckpt status} and {@code ckpt agent checkpoint-now|final-checkpoint|health}
 * (and so by the PowerHA scripts in contrib/powerha).
 */
final class ControlServer implements AutoCloseable {
    /** The daemon's answers. */
    interface Handler {
        String status() throws IOException;

        /** JSON answer, or null when the WPAR is not configured. */
        String checkpointNow(String wpar) throws IOException;

        /** Takes the final checkpoint that stops the WPAR and uploads it; JSON answer, null when not configured. */
        String finalCheckpoint(String wpar) throws IOException;

        /** Runs the WPAR's health check now; JSON answer, null when not configured. */
        String health(String wpar) throws IOException;
    }

    private final HttpServer http;

    ControlServer(InetSocketAddress address, Handler handler) throws IOException {
        http = HttpServer.create(address, 16);
        http.setExecutor(Executors.newCachedThreadPool(r -> { // a final checkpoint must not hold up /status
            Thread t = new Thread(r, "control");
            t.setDaemon(true);
            return t;
        }));
        http.createContext("/status", ex -> {
            if (!"GET".equals(ex.getRequestMethod())) {
                reply(ex, 405, "{\"error\":\"use GET\"}");
                return;
            }
            reply(ex, 200, handler.status());
        });
        http.createContext("/checkpoint-now/", ex -> {
            if (!"POST".equals(ex.getRequestMethod())) {
                reply(ex, 405, "{\"error\":\"use POST\"}");
                return;
            }
            String wpar = ex.getRequestURI().getPath().substring("/checkpoint-now/".length());
            String answer = handler.checkpointNow(wpar);
            if (answer == null) {
                reply(ex, 404, "{\"error\":\"WPAR '" + wpar.replace("\"", "") + "' is not in this agent's config\"}");
            } else {
                reply(ex, 200, answer);
            }
        });
        perWpar("/final-checkpoint/", "POST", handler::finalCheckpoint);
        perWpar("/health/", "GET", handler::health);
        http.start();
    }

    private interface WparCall {
        String call(String wpar) throws IOException;
    }

    private void perWpar(String prefix, String method, WparCall call) {
        http.createContext(prefix, ex -> {
            if (!method.equals(ex.getRequestMethod())) {
                reply(ex, 405, "{\"error\":\"use " + method + "\"}");
                return;
            }
            String wpar = ex.getRequestURI().getPath().substring(prefix.length());
            String answer;
            try {
                answer = call.call(wpar);
            } catch (IOException | RuntimeException e) {
                reply(ex, 500, "{\"error\":" + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                        String.valueOf(e.getMessage())) + "}");
                return;
            }
            if (answer == null) {
                reply(ex, 404, "{\"error\":\"WPAR '" + wpar.replace("\"", "") + "' is not in this agent's config\"}");
            } else {
                reply(ex, 200, answer);
            }
        });
    }

    InetSocketAddress address() {
        return http.getAddress();
    }

    private static void reply(HttpExchange ex, int code, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(code, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
