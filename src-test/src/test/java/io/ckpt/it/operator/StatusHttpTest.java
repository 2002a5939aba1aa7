package io.ckpt.it.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.HttpScrape;
import io.ckpt.it.RawConnection;
import io.ckpt.protocol.Frame;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP listener of a real server process: /metrics as checkpoints come and go, /api/v1 against the CLI's JSON. */
class StatusHttpTest {
    @Test
    void metricsFollowPushesFailuresRestoresAndPrunes(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server);
            HttpScrape http = new HttpScrape(server);
            Map<String, Double> m = http.metrics();
            assertEquals(0.0, m.get("ckpt_ingest_bytes_count"), m::toString);
            assertTrue(m.get("ckpt_datastore_free_bytes") > 0, m::toString);
            assertFalse(m.containsKey("ckpt_wpar_checkpoints{wpar=\"web01\"}"), m::toString);

            List<Long> ids = new ArrayList<>();
            byte[] image = new byte[300_000];
            new java.util.Random(8).nextBytes(image);
            java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            for (int i = 0; i < 3; i++) {
                Path img = dir.resolve("img" + i);
                Files.write(img, image);
                Files.writeString(img, "change " + i, java.nio.file.StandardOpenOption.APPEND);
                ids.add(ckpt.run("push", "--wpar", "web01", "--taken-at", now.minusSeconds(3600L * (3 - i)).toString(), "--json", img.toString())
                        .assertOk().json().path("id").asLong());
            }
            m = http.metrics();
            assertEquals(3.0, m.get("ckpt_ingest_bytes_count"), m::toString);
            assertEquals(3.0 * image.length + 3 * 8, m.get("ckpt_ingest_bytes_sum"), m::toString);
            assertEquals(3.0, m.get("ckpt_ingest_duration_seconds_count"), m::toString);
            assertEquals(3.0, m.get("ckpt_wpar_checkpoints{wpar=\"web01\"}"), m::toString);
            assertTrue(m.get("ckpt_dedup_ratio") > 2.5, "three near-identical images dedup about 3:1: " + m);
            double age = m.get("ckpt_wpar_checkpoint_age_seconds{wpar=\"web01\"}");
            assertTrue(age >= 3600 && age < 3900, "newest was taken an hour ago: " + age);
            assertEquals(3600.0, m.get("ckpt_wpar_checkpoint_interval_seconds{wpar=\"web01\"}"), m::toString);
            assertTrue(m.get("ckpt_wpar_stored_bytes{wpar=\"web01\"}") > image.length, m::toString);
            assertFalse(m.containsKey("ckpt_wpar_lkg_age_seconds{wpar=\"web01\"}"), "no LKG before one is marked good");

            ckpt.run("mark-good", ids.get(0).toString()).assertOk();
            m = http.metrics();
            double lkgAge = m.get("ckpt_wpar_lkg_age_seconds{wpar=\"web01\"}");
            assertTrue(lkgAge >= 3 * 3600 && lkgAge < 3 * 3600 + 300, "LKG was taken three hours ago: " + lkgAge);

            // An upload cut off by its client is a failed checkpoint of its WPAR (another one: web01 is the CLI host's).
            try (RawConnection raw = RawConnection.open(server.port())) {
                raw.send(new Frame.UploadBegin("db01", System.currentTimeMillis(), "manual", Frame.UploadBegin.MODE_STREAM,
                        List.of(), "", "unknown", ""));
                raw.receive(Duration.ofSeconds(10));
            }
            waitFor(http, "ckpt_checkpoint_failures_total{wpar=\"db01\"}", 1.0);
            assertEquals("connection closed during the upload",
                    http.json("/api/v1/wpars").path("wpars").path(0).path("last_error").path("message").asText());

            ckpt.run("restore", "--wpar", "web01", "--id", ids.get(2).toString(), "--to", dir.resolve("out").toString())
                    .assertOk();
            m = http.metrics();
            assertEquals(1.0, m.get("ckpt_restore_bytes_count"), m::toString);
            assertEquals(image.length + 8.0, m.get("ckpt_restore_bytes_sum"), m::toString);
            assertEquals(1.0, m.get("ckpt_restore_duration_seconds_count"), m::toString);

            ckpt.run("prune", "--keep-last", "1").assertOk(); // keeps the newest and the LKG
            m = http.metrics();
            assertEquals(1.0, m.get("ckpt_prune_removed_checkpoints_total"), m::toString);
            assertEquals(2.0, m.get("ckpt_wpar_checkpoints{wpar=\"web01\"}"), m::toString);
            assertEquals(1.0, m.get("ckpt_job_duration_seconds_count{job=\"prune\",result=\"ok\",trigger=\"request\"}"),
                    m::toString);
            ckpt.run("gc").assertOk();
            ckpt.run("verify").assertOk();
            m = http.metrics();
            assertEquals(0.0, m.get("ckpt_verify_damaged_chunks"), m::toString);
            assertEquals(1.0, m.get("ckpt_job_duration_seconds_count{job=\"gc\",result=\"ok\",trigger=\"request\"}"),
                    m::toString);
            JsonNode jobs = http.json("/api/v1/jobs").path("jobs");
            assertEquals(List.of("verify", "gc", "prune"), List.of(jobs.get(0).path("kind").asText(),
                    jobs.get(1).path("kind").asText(), jobs.get(2).path("kind").asText()), jobs::toString);
            List<Long> removed = new ArrayList<>();
            jobs.get(2).path("result").path("wpars").forEach(w -> w.path("remove").forEach(c -> removed.add(c.path("id").asLong())));
            assertEquals(List.of(ids.get(1)), removed, jobs::toString);
        }
    }

    @Test
    void apiAnswersWhatTheCliPrintsWithJson(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.start(dir.resolve("datastore"))) {
            Cli ckpt = Cli.against(server);
            HttpScrape http = new HttpScrape(server);
            Path img = Files.writeString(dir.resolve("img"), "wpar state");
            ckpt.run("push", "--wpar", "web01", "--label", "release", img.toString()).assertOk();
            long good = ckpt.run("push", "--wpar", "web01", "--json", img.toString()).assertOk().json().path("id").asLong();
            ckpt.run("push", "--wpar", "db01", img.toString()).assertOk();
            ckpt.run("mark-good", Long.toString(good)).assertOk();
            ckpt.run("protect", Long.toString(good)).assertOk();

            assertEquals(ckpt.run("list", "--json").assertOk().json(), http.json("/api/v1/checkpoints"));
            assertEquals(ckpt.run("list", "--wpar", "web01", "--json").assertOk().json(),
                    http.json("/api/v1/checkpoints?wpar=web01"));
            assertEquals(ckpt.run("show", Long.toString(good), "--json").assertOk().json(),
                    http.json("/api/v1/checkpoints/" + good));
            assertEquals(ckpt.run("hosts", "--json").assertOk().json(), http.json("/api/v1/hosts"));
            assertEquals(ckpt.run("alerts", "--json").assertOk().json(), http.json("/api/v1/alerts"));

            JsonNode wpars = http.json("/api/v1/wpars").path("wpars");
            assertEquals(2, wpars.size(), wpars::toString);
            JsonNode web = wpars.get(1);
            assertEquals("web01", web.path("wpar").asText());
            assertEquals(2, web.path("checkpoints").asInt());
            assertEquals(good, web.path("lkg").path("id").asLong(), web::toString);
            assertEquals(good, web.path("last_checkpoint").path("id").asLong(), web::toString);
            assertEquals(1, web.path("epoch").asLong(), web::toString);
            assertFalse(web.path("retention").path("policy").asBoolean(), "no retention policy configured");
        }
    }

    private static void waitFor(HttpScrape http, String sample, double value) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Map<String, Double> m = http.metrics();
        while (!Double.valueOf(value).equals(m.get(sample)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            m = http.metrics();
        }
        assertEquals(value, m.get(sample), m::toString);
    }
}
