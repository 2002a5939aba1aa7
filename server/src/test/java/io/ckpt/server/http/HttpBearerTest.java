package io.ckpt.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.catalog.Catalog;
import io.ckpt.retention.RetentionConfig;
import io.ckpt.security.Credentials;
import io.ckpt.security.Role;
import io.ckpt.security.SecurityDir;
import io.ckpt.server.CkptServer;
import io.ckpt.server.ServerConfig;
import io.ckpt.store.Datastore;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP listener off loopback on a server with credentials: HTTPS with the server's
 * certificate, and /metrics and /api/ only with a bearer token (the status page's files are open).
 * It binds the wildcard address; the test's requests go to 127.0.0.1.
 */
class HttpBearerTest {
    @Test
    void offLoopbackMetricsAndApiNeedAValidBearerToken(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("ds");
        Datastore ds = Datastore.openOrCreate(root);
        SecurityDir sec = SecurityDir.of(root);
        sec.create(List.of("localhost", "127.0.0.1"));
        String token;
        try (Catalog c = Catalog.open(root.resolve("catalog.db"), ds.id())) {
            token = new Credentials(c).add("grafana", Role.READ_ONLY, null, null).token();
        }
        try (CkptServer server = CkptServer.start(new ServerConfig(root, null, new InetSocketAddress("127.0.0.1", 0), 60,
                1 << 20, 4, 0, RetentionConfig.NONE, new InetSocketAddress("0.0.0.0", 0)))) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", sec.caCertificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            HttpClient http = HttpClient.newBuilder().sslContext(ssl).build();
            String base = "https://127.0.0.1:" + server.httpAddress().orElseThrow().getPort();

            for (String path : List.of("/metrics", "/api/v1/wpars")) {
                HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(401, none.statusCode(), path);
                assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), path);
                HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer ckpt_" + "0".repeat(64)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(401, wrong.statusCode(), path);
                HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, ok.statusCode(), path + ": " + ok.body());
            }
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode(), "the status page's files hold no data");
        }
    }
}
