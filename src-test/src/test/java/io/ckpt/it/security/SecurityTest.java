package io.ckpt.it.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.net.ClientCredentials;
import io.ckpt.it.AgentProcess;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.it.durability.RebuildCatalogTest;
import io.ckpt.it.restore.PushRestoreTest;
import io.ckpt.protocol.PartInfo;
import io.ckpt.security.CertificateAuthority;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server set up with 'ckpt server init' and started with --tls, as docs/SECURITY.md tells an
 * operator: clients need the CA and a token; roles and the ownership/placement scope hold for the
 * real CLI and agent; revoking a credential cuts its open connections. Each test uses its own
 * WPAR names on the one server.
 */
class SecurityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIG = """
            placement:
              - { match: "shared*", primary: node1, backup: [node2] }
            """;

    @TempDir
    static Path dir;
    static ServerProcess server;
    static Path ca;
    static Path adminToken;
    static Path node1;
    static Path node2;
    static Path node3;
    static Path viewer;
    static Path image;

    @BeforeAll
    static void initAndStart() throws Exception {
        Path datastore = dir.resolve("datastore");
        adminToken = dir.resolve("admin.token");
        RebuildCatalogTest.Exited init = RebuildCatalogTest.runServerCommand("init", "--datastore", datastore.toString(),
                "--name", "localhost", "--name", "127.0.0.1", "--token-file", adminToken.toString(), "--json");
        assertEquals(0, init.exitCode(), init.output());
        JsonNode made = JSON.readTree(init.output().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
        assertEquals(made.path("token").asText(), Files.readString(adminToken).strip(), "the token printed is the one in the file");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(adminToken)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                datastore.resolve("security/ca.key"))));
        ca = Path.of(made.path("ca_certificate").asText());

        Path config = Files.writeString(dir.resolve("server.yaml"), CONFIG);
        server = ServerProcess.on(datastore).args("--tls", "--config", config.toString()).start();
        assertTrue(server.log().contains("transport: TLS"), server::log);
        try (CkptClient admin = client(adminToken)) {
            node1 = addHost(admin, "node1", "host");
            node2 = addHost(admin, "node2", "host");
            node3 = addHost(admin, "node3", "host");
            viewer = addHost(admin, "viewer", "read-only");
        }
        image = MemoryImage.ofSize(7, 256 << 10).writeTo(dir.resolve("image.img"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void withoutTheCaOrAValidTokenNothingIsListedPushedOrRestored() throws Exception {
        Cli plain = Cli.against(server);
        push(node1, "auth1", 1);

        Cli.Result noTls = plain.command("list").env("CKPT_TOKEN_FILE", node1.toString()).run().assertExit(9);
        assertTrue(PushRestoreTest.errorLine(noTls).contains("requires TLS"), noTls::toString);
        assertTrue(noTls.stderr().contains("--tls-ca"), "says what to give: " + noTls);

        Cli.Result noToken = plain.run("list", "--tls-ca", ca.toString()).assertExit(9);
        assertTrue(PushRestoreTest.errorLine(noToken).contains("requires a credential"), noToken::toString);

        Path wrong = Files.writeString(dir.resolve("wrong.token"), "ckpt_" + "ab".repeat(32) + "\n");
        Cli.Result wrongToken = as(wrong).run("push", "--wpar", "auth1", image.toString()).assertExit(9);
        assertTrue(PushRestoreTest.errorLine(wrongToken).contains("token is unknown or revoked"), wrongToken::toString);

        Path target = dir.resolve("auth1-restored");
        Cli.Result restore = plain.run("restore", "--wpar", "auth1", "--latest", "--tls-ca", ca.toString(), "--to", target.toString())
                .assertExit(9);
        assertTrue(PushRestoreTest.errorLine(restore).contains("requires a credential"), restore::toString);
        assertFalse(Files.exists(target), "nothing restored");

        Path otherCa = Files.writeString(dir.resolve("other-ca.crt"),
                CertificateAuthority.pem(CertificateAuthority.create("someone else").certificate()));
        Cli.Result foreign = plain.command("list").env("CKPT_TLS_CA", otherCa.toString())
                .env("CKPT_TOKEN_FILE", adminToken.toString()).run().assertExit(9);
        assertTrue(PushRestoreTest.errorLine(foreign).contains("TLS handshake"), foreign::toString);

        assertEquals(1, list(adminToken, "auth1").size(), "only node1's push arrived");
    }

    @Test
    void hostsReachOnlyTheWparsTheyOwnOrBackUpByPlacement() throws Exception {
        push(node1, "own1", 1);
        push(node1, "shared1", 1);
        assertEquals("node1", list(adminToken, "own1").get(0).path("host").asText(), "the credential names the host");

        Cli.Result steal = as(node3).run("restore", "--wpar", "own1", "--latest", "--to", dir.resolve("stolen").toString()).assertExit(7);
        assertTrue(PushRestoreTest.errorLine(steal).contains("neither owns it nor backs it up"), steal::toString);
        assertFalse(Files.exists(dir.resolve("stolen")));
        Cli.Result overwrite = as(node3).run("push", "--wpar", "own1", image.toString()).assertExit(7);
        assertTrue(PushRestoreTest.errorLine(overwrite).contains("own1"), overwrite::toString);
        // A spoofed host id in HELLO changes nothing: the credential is who node3 is.
        try (CkptClient spoof = CkptClient.connect(server.address(), "node1", ClientCredentials.of(ca, node3, null))) {
            var e = assertThrows(io.ckpt.agent.net.ClientException.class,
                    () -> spoof.beginUpload("own1", System.currentTimeMillis(), "memory", List.of()));
            assertEquals(io.ckpt.protocol.ErrorCode.REFUSED, e.code(), e::toString);
            assertTrue(e.getMessage().contains("host node3"), e::toString);
        }
        try (CkptClient backupOfOthers = client(node2)) {
            long own1 = list(adminToken, "own1").get(0).path("id").asLong();
            var e = assertThrows(io.ckpt.agent.net.ClientException.class, () -> backupOfOthers.restore(own1, null));
            assertEquals(io.ckpt.protocol.ErrorCode.REFUSED, e.code(), "node2 does not back own1 up: " + e);
        }

        Path backup = dir.resolve("shared1-on-node2");
        as(node2).run("restore", "--wpar", "shared1", "--latest", "--to", backup.toString()).assertOk();
        assertEquals(Sha256.of(image), Sha256.of(backup), "node2 backs shared1 up (placement) and restores it");
        assertEquals(1, list(adminToken, "own1").size(), "no upload of node3's arrived");
    }

    @Test
    void readOnlyListsButNeitherPushesNorRestores() throws Exception {
        push(node1, "ro1", 1);
        JsonNode listed = as(viewer).run("list", "--wpar", "ro1", "--json").assertOk().json();
        assertEquals(1, listed.path("checkpoints").size(), listed::toString);
        Cli.Result push = as(viewer).run("push", "--wpar", "ro2", image.toString()).assertExit(7);
        assertTrue(PushRestoreTest.errorLine(push).contains("read-only"), push::toString);
        Cli.Result restore = as(viewer).run("restore", "--wpar", "ro1", "--latest", "--to", dir.resolve("ro1").toString()).assertExit(7);
        assertTrue(PushRestoreTest.errorLine(restore).contains("reads no data"), restore::toString);
        var none = assertThrows(io.ckpt.agent.net.ClientException.class, () -> list(adminToken, "ro2"));
        assertEquals(io.ckpt.protocol.ErrorCode.NOT_FOUND, none.code(), "no upload of ro2 ever began: " + none);
    }

    @Test
    void onlyAdminPrunesAndManagesHosts() throws Exception {
        push(node1, "adm1", 1);
        push(node1, "adm1", 2);
        Cli.Result hostPrune = as(node1).run("prune", "--wpar", "adm1", "--keep-last", "1").assertExit(7);
        assertTrue(PushRestoreTest.errorLine(hostPrune).contains("needs the admin role"), hostPrune::toString);
        try (CkptClient host = client(node1)) {
            var refused = assertThrows(io.ckpt.agent.net.ClientException.class,
                    () -> host.request(JSON.createObjectNode().put("op", "host_list")));
            assertEquals(io.ckpt.protocol.ErrorCode.REFUSED, refused.code(), refused::toString);
        }
        as(adminToken).run("prune", "--wpar", "adm1", "--keep-last", "1").assertOk();
        assertEquals(1, list(adminToken, "adm1").size(), "admin pruned");

        Path tmpToken = dir.resolve("tmp1.token");
        JsonNode added = as(adminToken).run("host", "add", "tmp1", "--role", "read-only", "--token-out", tmpToken.toString(),
                "--json").assertOk().json();
        assertEquals(added.path("token").asText(), Files.readString(tmpToken).strip());
        assertEquals(1, list(tmpToken, "adm1").size(), "the new read-only credential lists");
        JsonNode hosts = as(adminToken).run("host", "list", "--json").assertOk().json();
        assertTrue(hosts.toString().contains("\"host\":\"tmp1\",\"role\":\"read-only\""), hosts::toString);
        assertFalse(hosts.toString().contains(added.path("token").asText()), "no secret is listed");
        as(adminToken).run("host", "revoke", "tmp1").assertOk();
        var revoked = assertThrows(io.ckpt.agent.net.ClientException.class, () -> client(tmpToken));
        assertEquals(io.ckpt.protocol.ErrorCode.UNAUTHORIZED, revoked.code(), revoked::toString);
    }

    @Test
    void clientCertificateAuthenticatesWithoutTheTokenLeavingTheHostUntilRevoked() throws Exception {
        Path p12 = dir.resolve("cert1.p12");
        Path token = dir.resolve("cert1.token");
        as(adminToken).run("host", "add", "cert1", "--cert", p12.toString(), "--token-out", token.toString()).assertOk();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p12)));
        Cli withCert = as(token).withOptions("--tls-cert", p12.toString());
        withCert.run("list").assertOk();
        try (CkptClient c = CkptClient.connect(server.address(), "cert1", new ClientCredentials(ca, Files.readString(token).strip(), p12))) {
            c.request(JSON.createObjectNode().put("op", "list")); // HELLO carried no token: the certificate did it
        }
        try (CkptClient admin = client(adminToken)) {
            admin.request(JSON.createObjectNode().put("op", "host_revoke").put("host", "cert1"));
        }
        Cli.Result refused = withCert.run("list").assertExit(9);
        assertTrue(PushRestoreTest.errorLine(refused).contains("client certificate CN=cert1 is unknown or revoked"), refused::toString);
    }

    @Test
    void revokingACredentialClosesItsOpenConnectionsAndDiscardsTheirUpload() throws Exception {
        Path token;
        try (CkptClient admin = client(adminToken)) {
            token = addHost(admin, "node9", "host");
        }
        CkptClient idle = client(token);
        CkptClient uploading = client(token);
        try {
            idle.request(JSON.createObjectNode().put("op", "list"));
            uploading.beginUpload("rv1", System.currentTimeMillis(), "memory", List.of());
            CountDownLatch sentSome = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            InputStream stalls = new InputStream() { // 1 MiB, then nothing until released, then the end
                long left = 1 << 20;

                @Override
                public int read() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (left == 0) {
                        sentSome.countDown();
                        try {
                            release.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                        return -1;
                    }
                    int n = (int) Math.min(len, left);
                    left -= n;
                    return n;
                }
            };
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                try {
                    uploading.sendPart(new PartInfo("mem.img", io.ckpt.protocol.PartType.FILE, 0644, 0, null), stalls, n -> { });
                    uploading.commit();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertTrue(sentSome.await(30, TimeUnit.SECONDS), "the upload is under way");
            // The other connection holds an agent's long-poll, parked on the server for up to 10 s.
            CompletableFuture<JsonNode> poll = CompletableFuture.supplyAsync(() -> {
                try {
                    return idle.request(JSON.createObjectNode().put("op", "poll").put("host", "node9").put("wait_ms", 10_000));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            server.awaitLog(Pattern.compile("agent node9 connected from"), Duration.ofSeconds(10));

            JsonNode revoked = as(adminToken).run("host", "revoke", "node9", "--json").assertOk().json();
            assertEquals(2, revoked.path("connections_closed").asInt(), revoked::toString);
            server.awaitLog(Pattern.compile("closed during the upload of checkpoint \\d+ \\(WPAR rv1\\): upload discarded"),
                    Duration.ofSeconds(10));
            release.countDown();
            Throwable failed = assertThrows(Exception.class, () -> upload.get(30, TimeUnit.SECONDS), "the upload is cut");
            assertTrue(String.valueOf(failed.getMessage()).contains("lost") || failed.getCause() instanceof IOException,
                    failed::toString);
            Throwable pollCut = assertThrows(Exception.class, () -> poll.get(5, TimeUnit.SECONDS),
                    "the parked poll ends with its connection, well before its 10 s");
            assertTrue(pollCut.getCause() instanceof java.io.UncheckedIOException u && u.getCause().getMessage().contains("lost"),
                    pollCut::toString);
        } finally {
            idle.close();
            uploading.close();
        }
        try (CkptClient admin = client(adminToken)) {
            JsonNode all = admin.request(JSON.createObjectNode().put("op", "list").put("wpar", "rv1").put("all", true));
            assertEquals(0, all.path("checkpoints").size(), "the cut upload is not visible: " + all);
        }
        Cli.Result after = as(token).run("list").assertExit(9);
        assertTrue(PushRestoreTest.errorLine(after).contains("unknown or revoked"), after::toString);
    }

    @Test
    void agentAuthenticatesWithTheTokenFileAndCaOfItsConfig() throws Exception {
        Path token;
        try (CkptClient admin = client(adminToken)) {
            token = addHost(admin, "agent1", "host");
        }
        Path config = Files.writeString(dir.resolve("agent.yaml"), """
                server:
                  address: %s
                  tls-ca: %s
                  token-file: %s
                host-id: agent1
                state-dir: %s
                control: 127.0.0.1:%d
                defaults:
                  schedule: { interval: 1h }
                wpars:
                  - name: agentw1
                    source:
                      preset: command
                      command: "sh -c 'echo state > \\"$1/state\\"' checkpoint {statedir}"
                """.formatted(server.address(), ca, token, dir.resolve("agent-state"), freePort()));
        try (AgentProcess agent = AgentProcess.start(config, Map.of())) {
            agent.awaitCount(0, Pattern.compile("uploaded"), 1, Duration.ofSeconds(60));
            List<JsonNode> cps = list(adminToken, "agentw1");
            assertEquals(1, cps.size(), cps::toString);
            assertEquals("agent1", cps.get(0).path("host").asText());

            // Issue 18, bug 3: `ckpt status --config` reaches the server with the config's CA and token,
            // as the agent does (it printed "unreachable", needing CKPT_TLS_CA and CKPT_TOKEN_FILE).
            Cli.Result status = Cli.standalone().run("status", "--config", config.toString());
            status.assertOk();
            assertFalse(status.stdout().contains("unreachable") || status.stderr().contains("unreachable"), status::toString);
            JsonNode json = Cli.standalone().run("status", "--config", config.toString(), "--json").assertOk().json();
            assertTrue(json.has("server_load"), "the server answered the status's load request: " + json);
        }
    }

    @Test
    void serverRefusesToListenOffLoopbackWithoutCredentials() throws Exception {
        RebuildCatalogTest.Exited open = RebuildCatalogTest.runServerCommand("--datastore", dir.resolve("open").toString(),
                "--listen", "0.0.0.0:0", "--http", "off");
        assertEquals(1, open.exitCode(), open.output());
        assertTrue(open.output().contains("refusing to listen on 0.0.0.0:0 without TLS and credentials: run 'ckpt server init"),
                open.output());
    }

    /** The CLI with the server's CA and a token file, given as options. */
    private static Cli as(Path token) {
        return Cli.against(server).withOptions("--tls-ca", ca.toString(), "--token-file", token.toString());
    }

    private static CkptClient client(Path token) throws IOException {
        return CkptClient.connect(server.address(), "test", ClientCredentials.of(ca, token, null));
    }

    /** Uploads the test image as checkpoint of {@code wpar} taken {@code day} days into 2026, in this process. */
    private static void push(Path token, String wpar, int day) throws IOException {
        try (CkptClient c = client(token); InputStream in = Files.newInputStream(image)) {
            c.beginUpload(wpar, java.time.Instant.parse("2026-01-01T00:00:00Z").plus(Duration.ofDays(day)).toEpochMilli(),
                    "memory", List.of());
            c.sendPart(new PartInfo("image.img", io.ckpt.protocol.PartType.FILE, 0644, 0, null), in, n -> { });
            c.commit();
        }
    }

    private static Path addHost(CkptClient admin, String name, String role) throws IOException {
        JsonNode r = admin.request(JSON.createObjectNode().put("op", "host_add").put("host", name).put("role", role));
        return Files.writeString(dir.resolve(name + ".token"), r.path("token").asText() + "\n", StandardCharsets.US_ASCII);
    }

    private static List<JsonNode> list(Path token, String wpar) throws IOException {
        try (CkptClient c = client(token)) {
            List<JsonNode> out = new ArrayList<>();
            c.request(JSON.createObjectNode().put("op", "list").put("wpar", wpar)).path("checkpoints").forEach(out::add);
            return out;
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
