package io.ckpt.it.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.net.ClientCredentials;
import io.ckpt.agent.net.ClientException;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.it.durability.RebuildCatalogTest;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.PartInfo;
import io.ckpt.security.Access;
import io.ckpt.server.request.Requests;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every request op of the request table ({@link Requests}), sent by credentials that may not touch the object it
 * names (docs/SECURITY.md, "Who may do what"): another tenant's host and read-only credential, and a
 * host of the same tenant that neither owns nor backs up the WPAR. Each names the object by the real
 * checkpoint id and a WPAR it does own ({@code "wpar"} lying), and each must be refused or not found,
 * with nothing changed. Then: what one tenant learns of another's data (issue 13, defect 5).
 *
 * <p>Tenant {@code ta}: hosts nodeA (owns a1) and nodeA2 (owns a2), read-only viewerA. Tenant
 * {@code tb}: host nodeB (owns b1), read-only viewerB.
 */
class AccessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static ServerProcess server;
    static Path ca;
    static Path admin;
    static Map<String, Path> tokens = new LinkedHashMap<>();
    static Path image;
    static long a1;
    static long b1;

    @BeforeAll
    static void initAndStart() throws Exception {
        Path datastore = dir.resolve("datastore");
        admin = dir.resolve("admin.token");
        RebuildCatalogTest.Exited init = RebuildCatalogTest.runServerCommand("init", "--datastore", datastore.toString(),
                "--name", "localhost", "--name", "127.0.0.1", "--token-file", admin.toString(), "--json");
        assertEquals(0, init.exitCode(), init.output());
        ca = Path.of(JSON.readTree(init.output().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow())
                .path("ca_certificate").asText());
        server = ServerProcess.on(datastore).args("--tls").start();
        try (CkptClient c = client(admin)) {
            add(c, "nodeA", "host", "ta");
            add(c, "nodeA2", "host", "ta");
            add(c, "viewerA", "read-only", "ta");
            add(c, "nodeB", "host", "tb");
            add(c, "viewerB", "read-only", "tb");
        }
        image = MemoryImage.ofSize(13, 512 << 10).writeTo(dir.resolve("image.img"));
        a1 = push("nodeA", "a1", image).path("id").asLong();
        push("nodeA2", "a2", image);
        b1 = push("nodeB", "b1", MemoryImage.ofSize(14, 64 << 10).writeTo(dir.resolve("b.img"))).path("id").asLong();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** What an op is expected to answer when aimed at another's object. */
    private record Attempt(Function<String, ObjectNode> request, ErrorCode otherTenant, ErrorCode sameTenant) {}

    /**
     * The table: for each op, the request that aims at nodeA's WPAR a1 or its checkpoint (naming the
     * caller's own WPAR in "wpar"), and the answer for a caller of another tenant and for one of
     * the same tenant. null: the op names no object of another and is answered.
     */
    private static Map<String, Attempt> table() {
        Map<String, Attempt> t = new LinkedHashMap<>();
        Function<String, ObjectNode> byId = own -> req().put("id", a1).put("wpar", own);
        Function<String, ObjectNode> byWpar = own -> req().put("wpar", "a1");
        ErrorCode nf = ErrorCode.NOT_FOUND;
        ErrorCode no = ErrorCode.REFUSED;
        t.put("list", new Attempt(byWpar, nf, null));
        t.put("show", new Attempt(byId, nf, nf)); // same tenant: the lying wpar contradicts the id
        t.put("select", new Attempt(byId, nf, nf));
        t.put("restore", new Attempt(byId, nf, nf)); // as select: the lying wpar contradicts the id
        t.put("owner", new Attempt(byWpar, nf, null));
        t.put("alerts", new Attempt(own -> req(), null, null));
        t.put("hosts", new Attempt(own -> req(), null, null));
        t.put("load", new Attempt(own -> req(), null, null));
        t.put("upload_notices", new Attempt(own -> req(), null, null));
        t.put("fetch", new Attempt(own -> byId.apply(own).put("part", 0).set("ranges", JSON.createArrayNode().add(JSON.createArrayNode().add(0).add(1))), nf, no));
        t.put("chunk_list", new Attempt(own -> byId.apply(own).put("part", 0), nf, no));
        t.put("mark", new Attempt(own -> byId.apply(own).put("health", "bad").put("reason", "lying wpar"), nf, no));
        t.put("claim", new Attempt(own -> req().put("wpar", "a1").put("take_over", true), no, no));
        t.put("confirm", new Attempt(own -> req().put("wpar", "a1").put("epoch", 1), no, no));
        t.put("poll", new Attempt(own -> req().put("host", "nodeA").put("wait_ms", 0), no, no));
        t.put("task_result", new Attempt(own -> req().put("host", "nodeA").put("task", 1), no, no));
        for (String admin : List.of("protect", "prune", "gc", "verify", "relocate", "failover", "rebalance",
                "host_add", "host_list", "host_revoke", "audit")) {
            t.put(admin, new Attempt(own -> req().put("id", a1).put("wpar", "a1").put("host", "nodeA").put("to", "nodeB")
                    .put("from", "nodeA").put("dry_run", false), no, no));
        }
        return t;
    }

    @Test
    void everyOpOfTheAccessTableAimedAtAnotherHostsCheckpointIsRefusedAndChangesNothing() throws Exception {
        Map<String, Attempt> table = table();
        assertEquals(new TreeSet<>(Requests.all().stream().map(Requests.Op::name).toList()), new TreeSet<>(table.keySet()),
                "the test walks every op of the access table, and the table lists every op");
        JsonNode before = show(admin, a1);
        String ownerBefore = owner();
        record Caller(String name, String ownWpar, boolean sameTenant) {}
        for (Caller c : List.of(new Caller("nodeB", "b1", false), new Caller("viewerB", "b1", false),
                new Caller("nodeA2", "a2", true))) {
            try (CkptClient client = client(tokens.get(c.name()))) {
                for (var e : table.entrySet()) {
                    String op = e.getKey();
                    ErrorCode expected = c.sameTenant() ? e.getValue().sameTenant() : e.getValue().otherTenant();
                    if (expected == null && c.name().startsWith("viewer") && Requests.find(op).orElseThrow().rule().need() != Access.Need.ANY) {
                        expected = ErrorCode.REFUSED;
                    }
                    ObjectNode r = e.getValue().request().apply(c.ownWpar()).put("op", op);
                    if (!r.has("host") && (op.equals("claim") || op.equals("confirm"))) {
                        r.put("host", c.name());
                    }
                    String what = c.name() + " " + r;
                    if (expected == null) {
                        JsonNode answer = op.equals("fetch") ? null : client.request(r);
                        if (!c.sameTenant()) { // metadata of its own tenant is every credential's to see
                            assertFalse(String.valueOf(answer).contains("\"a1\""), what + " answers nothing of a1: " + answer);
                        }
                        continue;
                    }
                    ClientException refused = null;
                    try {
                        if (op.equals("fetch")) {
                            client.fetch(r).readAllBytes();
                        } else {
                            client.request(r);
                        }
                    } catch (ClientException x) {
                        refused = x;
                    }
                    assertNotNull(refused, what + " must be answered " + expected + ", was answered");
                    assertEquals(expected, refused.code(), what + ": " + refused.getMessage());
                }
            }
        }
        JsonNode after = show(admin, a1);
        assertEquals(before.path("checkpoint").path("health").asText(), after.path("checkpoint").path("health").asText(),
                "the mark did not flip");
        assertEquals(before, after, "checkpoint a1 unchanged");
        assertEquals(ownerBefore, owner(), "a1's owner unchanged");
    }

    @Test
    void aRestoreSelectorIsJudgedByTheCheckpointItChoosesAnotherTenantsWparBeingNotFoundAsInSelect(@TempDir Path out)
            throws Exception {
        ObjectNode latestOfA1 = req().put("wpar", "a1").put("latest", true);
        try (CkptClient b = client(tokens.get("nodeB"))) {
            ClientException selected = assertThrows(ClientException.class,
                    () -> b.request(latestOfA1.deepCopy().put("op", "select")));
            ClientException restored = assertThrows(ClientException.class,
                    () -> b.request(latestOfA1.deepCopy().put("op", "restore")));
            assertEquals(ErrorCode.NOT_FOUND, restored.code(), restored.getMessage());
            assertEquals(selected.getMessage(), restored.getMessage(), "the same answer as select");
        }
        for (String sameTenantNoData : List.of("nodeA2", "viewerA")) { // may see a1, may not read its data
            try (CkptClient c = client(tokens.get(sameTenantNoData))) {
                long chosen = c.request(latestOfA1.deepCopy().put("op", "select")).path("checkpoint").path("id").asLong();
                ClientException restored = assertThrows(ClientException.class,
                        () -> c.request(latestOfA1.deepCopy().put("op", "restore")));
                assertEquals(ErrorCode.REFUSED, restored.code(), sameTenantNoData + ": " + restored.getMessage());
                assertTrue(restored.getMessage().contains("restore checkpoint " + chosen + " of WPAR a1")
                        || restored.getMessage().contains("read-only"), restored.getMessage());
            }
        }
        Path restored = out.resolve("a1.img");
        // By id: another test of this class pushes a newer a1, so "latest" depends on the test order.
        as("nodeA").run("restore", "--wpar", "a1", "--id", Long.toString(a1), "--to", restored.toString()).assertOk();
        assertEquals(Sha256.of(image), Sha256.of(restored));
    }

    @Test
    void auditNamesTheCheckpointsRealWparNotTheOneTheClientGave() throws Exception {
        try (CkptClient nodeA2 = client(tokens.get("nodeA2"))) {
            ClientException e = org.junit.jupiter.api.Assertions.assertThrows(ClientException.class, () -> nodeA2.request(
                    req().put("op", "mark").put("id", a1).put("wpar", "a2").put("health", "bad").put("reason", "audit")));
            assertEquals(ErrorCode.REFUSED, e.code(), e::toString);
            assertTrue(e.getMessage().contains("a1"), "names the real WPAR: " + e.getMessage());
        }
        try (CkptClient nodeA2 = client(tokens.get("nodeA2"))) {
            ClientException e = org.junit.jupiter.api.Assertions.assertThrows(ClientException.class,
                    () -> nodeA2.restore(a1, new CkptClient.RestoreReceiver() {
                        public void header(JsonNode checkpoint) { }

                        public void beginPart(PartInfo part) { }

                        public void data(java.nio.ByteBuffer bytes) { }

                        public void endPart(long length, byte[] sha256) { }
                    }));
            assertEquals(ErrorCode.REFUSED, e.code(), e::toString);
        }
        try (CkptClient c = client(admin)) {
            JsonNode restores = c.request(req().put("op", "audit").put("action", "restore.started").put("actor", "nodeA2"));
            assertEquals("a1", restores.path("events").path(0).path("wpar").asText(), "a refused restore names a1: " + restores);
            JsonNode events = c.request(req().put("op", "audit").put("action", "mark-bad").put("actor", "nodeA2"));
            boolean found = false;
            for (JsonNode ev : events.path("events")) {
                if (ev.path("checkpoint").asLong() == a1) {
                    assertEquals("a1", ev.path("wpar").asText(), ev::toString);
                    found = true;
                }
            }
            assertTrue(found, "the refused mark is audited: " + events);
        }
    }

    @Test
    void aTenantPushingAnotherTenantsBytesIsToldTheyAreNewInStreamAndDeltaMode() throws Exception {
        // Stream mode: a1's image, fresh for tenant ta when nodeA pushed it, again from tenant tb.
        JsonNode fresh = show(admin, a1).path("checkpoint");
        assertTrue(fresh.path("new_chunks").asLong() > 0, fresh::toString);
        JsonNode sameTenant = show(admin, list(admin, "a2").get(0).path("id").asLong()).path("checkpoint");
        assertEquals(0, sameTenant.path("new_chunks").asLong(), "within a tenant, dedup still says so: " + sameTenant);
        JsonNode copy = push("nodeB", "b2", image);
        assertEquals(fresh.path("new_chunks").asLong(), copy.path("new_chunks").asLong(), "new to tenant tb: " + copy);
        assertEquals(fresh.path("stored_bytes").asLong(), copy.path("stored_bytes").asLong(), "new to tenant tb: " + copy);

        // Delta mode, through the CLI: bytes that neither tenant has, pushed by ta, then by tb.
        Path other = MemoryImage.ofSize(15, 384 << 10).writeTo(dir.resolve("delta.img"));
        JsonNode freshDelta = as("nodeA").run("push", "--wpar", "a1", "--mode", "delta", "--json", other.toString())
                .assertOk().json();
        assertEquals("delta", freshDelta.path("upload_mode").asText(), freshDelta::toString);
        assertTrue(freshDelta.path("new_chunks").asLong() > 0, freshDelta::toString);
        JsonNode copyDelta = as("nodeB").run("push", "--wpar", "b3", "--mode", "delta", "--json", other.toString())
                .assertOk().json();
        assertEquals(freshDelta.path("new_chunks").asLong(), copyDelta.path("new_chunks").asLong(), copyDelta::toString);
        assertEquals(freshDelta.path("stored_bytes").asLong(), copyDelta.path("stored_bytes").asLong(), copyDelta::toString);
        JsonNode again = as("nodeB").run("push", "--wpar", "b3", "--mode", "delta", "--json", other.toString())
                .assertOk().json();
        assertEquals(0, again.path("new_chunks").asLong(), "tb's second copy is not new to tb: " + again);
    }

    @Test
    void aReadOnlyCredentialListsShowsAndSelectsOnlyItsOwnTenantsCheckpoints() throws Exception {
        for (String viewer : List.of("viewerB", "nodeB")) {
            List<JsonNode> all = list(tokens.get(viewer), null);
            assertFalse(all.isEmpty(), viewer + " sees tb's checkpoints");
            for (JsonNode c : all) {
                assertTrue(c.path("wpar").asText().startsWith("b"), viewer + " sees only tenant tb: " + c);
            }
            try (CkptClient c = client(tokens.get(viewer))) {
                ClientException show = org.junit.jupiter.api.Assertions.assertThrows(ClientException.class,
                        () -> c.request(req().put("op", "show").put("id", a1)));
                assertEquals("no checkpoint with id " + a1, show.getMessage(), "as if a1 did not exist");
                for (ObjectNode byName : List.of(req().put("op", "list").put("wpar", "a1"),
                        req().put("op", "select").put("wpar", "a1").put("last_known_good", true))) {
                    ClientException e = org.junit.jupiter.api.Assertions.assertThrows(ClientException.class,
                            () -> c.request(byName));
                    assertTrue(e.getMessage().contains("unknown WPAR 'a1'"), "as if a1 did not exist: " + e.getMessage());
                }
            }
        }
        assertFalse(list(tokens.get("viewerA"), "a1").isEmpty(), "tenant ta sees a1");
        assertTrue(list(admin, null).stream().anyMatch(c -> c.path("wpar").asText().equals("b1")), "admin sees all");
        assertTrue(list(admin, null).stream().anyMatch(c -> c.path("wpar").asText().equals("a1")), "admin sees all");
    }

    @Test
    void theHttpApiAnswersAHostOrReadOnlyTokenOnlyItsTenant() throws Exception {
        for (String viewer : List.of("viewerB", "nodeB")) {
            JsonNode wpars = api(viewer, "wpars");
            assertEquals(200, wpars.path("status").asInt(), wpars::toString);
            assertFalse(wpars.toString().contains("\"a1\""), viewer + ": " + wpars);
            assertTrue(wpars.toString().contains("\"b1\""), viewer + ": " + wpars);
            JsonNode checkpoints = api(viewer, "checkpoints");
            assertFalse(checkpoints.toString().contains("\"a1\""), viewer + ": " + checkpoints);
            assertEquals(404, api(viewer, "checkpoints/" + a1).path("status").asInt(), "as if it did not exist");
            assertEquals(404, api(viewer, "checkpoints?wpar=a1").path("status").asInt());
            assertFalse(api(viewer, "hosts").toString().contains("\"a1\""), viewer + " sees no owner of a1");
        }
        JsonNode own = api("viewerA", "checkpoints/" + a1);
        assertEquals(200, own.path("status").asInt(), own::toString);
        assertTrue(api(null, "checkpoints").toString().contains("\"a1\""), "admin (no token, loopback) sees all");
    }

    /** GET /api/v1/PATH over HTTPS with {@code name}'s bearer token (null: none); {"status", "body"}. */
    static JsonNode api(String name, String path) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(ca)) {
            trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        java.net.http.HttpRequest.Builder get = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("https://127.0.0.1:" + server.httpPort() + "/api/v1/" + path));
        if (name != null) {
            get.header("Authorization", "Bearer " + Files.readString(tokens.get(name)).strip());
        }
        var res = java.net.http.HttpClient.newBuilder().sslContext(ssl).build()
                .send(get.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        ObjectNode out = req().put("status", res.statusCode());
        out.set("body", JSON.readTree(res.body()));
        return out;
    }

    static List<JsonNode> list(Path token, String wpar) throws IOException {
        try (CkptClient c = client(token)) {
            List<JsonNode> out = new java.util.ArrayList<>();
            ObjectNode r = req().put("op", "list");
            if (wpar != null) {
                r.put("wpar", wpar);
            }
            c.request(r).path("checkpoints").forEach(out::add);
            return out;
        }
    }

    private static String owner() throws IOException {
        try (CkptClient c = client(admin)) {
            return c.request(req().put("op", "owner").put("wpar", "a1")).toString();
        }
    }

    static ObjectNode req() {
        return JSON.createObjectNode();
    }

    static JsonNode show(Path token, long id) throws IOException {
        try (CkptClient c = client(token)) {
            return c.request(req().put("op", "show").put("id", id));
        }
    }

    static CkptClient client(Path token) throws IOException {
        return CkptClient.connect(server.address(), "test", ClientCredentials.of(ca, token, null));
    }

    /** The CLI with the server's CA and {@code name}'s token. */
    static Cli as(String name) {
        return Cli.against(server).withOptions("--tls-ca", ca.toString(), "--token-file", tokens.get(name).toString());
    }

    /** Pushes {@code file} as {@code name} in this process (stream mode) and returns the commit's JSON. */
    static JsonNode push(String name, String wpar, Path file) throws IOException {
        try (CkptClient c = client(tokens.get(name)); InputStream in = Files.newInputStream(file)) {
            c.beginUpload(wpar, System.currentTimeMillis(), "memory", List.of());
            c.sendPart(new PartInfo("image.img", io.ckpt.protocol.PartType.FILE, 0644, 0, null), in, n -> { });
            return c.commit();
        }
    }

    private static void add(CkptClient admin, String name, String role, String tenant) throws IOException {
        JsonNode r = admin.request(req().put("op", "host_add").put("host", name).put("role", role).put("tenant", tenant));
        tokens.put(name, Files.writeString(dir.resolve(name + ".token"), r.path("token").asText() + "\n",
                StandardCharsets.US_ASCII));
    }
}
