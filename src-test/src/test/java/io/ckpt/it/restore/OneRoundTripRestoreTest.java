package io.ckpt.it.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.RawConnection;
import io.ckpt.it.Sha256;
import io.ckpt.it.SharedServer;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Protocol version 3 (issue 14): a restore is one round trip. The {@code restore} request carries
 * the selector (what {@code select} takes) and is answered with the checkpoint and its part list,
 * then the data; a version 2 client is still served by select, show and RESTORE_REQUEST.
 */
class OneRoundTripRestoreTest extends SharedServer {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Pushes a two-file directory as {@code wpar} and returns the commit's JSON. */
    private JsonNode pushTree(Path dir, String wpar) throws IOException {
        Path src = Files.createDirectories(dir.resolve(wpar));
        MemoryImage.ofSize(wpar.hashCode(), 300 << 10).writeTo(src.resolve("memory.img"));
        Files.writeString(src.resolve("config.txt"), "wpar " + wpar + "\n");
        return ckpt.run("push", "--wpar", wpar, "--json", src.toString()).assertOk().json();
    }

    @Test
    void restoreRequestCarriesTheSelectorAndIsAnsweredWithCheckpointAndPartsThenTheData(@TempDir Path dir)
            throws IOException {
        JsonNode pushed = pushTree(dir, "onetrip01");
        long id = pushed.path("id").asLong();
        try (RawConnection c = RawConnection.open(server.port(), "raw", 1, 3)) {
            assertEquals(3, c.version(), "the highest version both speak");
            c.send(new Frame.Request("{\"op\":\"restore\",\"wpar\":\"onetrip01\",\"latest\":true}"));
            Frame.Response header = assertInstanceOf(Frame.Response.class, c.receive(WAIT));
            JsonNode h = JSON.readTree(header.json());
            assertEquals(id, h.path("checkpoint").path("id").asLong(), header.json());
            assertEquals(pushed.path("logical_bytes").asLong(), h.path("checkpoint").path("logical_bytes").asLong());
            List<String> listed = new ArrayList<>();
            h.path("parts").forEach(p -> listed.add(p.path("name").asText()));
            assertEquals(List.of("config.txt", "memory.img"), listed.stream().sorted().toList(), header.json());
            List<String> streamed = new ArrayList<>();
            long bytes = 0;
            while (true) {
                Frame f = c.receive(WAIT);
                if (f instanceof Frame.PartBegin p) {
                    streamed.add(p.part().name());
                } else if (f instanceof Frame.Data d) {
                    bytes += d.bytes().readableBytes();
                    d.release();
                } else if (f instanceof Frame.RestoreEnd e) {
                    assertEquals(id, e.checkpointId());
                    break;
                } else if (!(f instanceof Frame.PartEnd)) {
                    throw new AssertionError("unexpected frame during the restore: " + f);
                }
            }
            assertEquals(listed, streamed, "the parts come in the order the answer listed them");
            assertEquals(pushed.path("logical_bytes").asLong(), bytes);
        }
    }

    @Test
    void cliRestoreSendsOneRequestAfterTheHandshakeAndAnOldClientStillRestoresWithThree(@TempDir Path dir)
            throws IOException {
        long id = pushTree(dir, "onetrip02").path("id").asLong();
        try (FrameCountingProxy proxy = new FrameCountingProxy(server.port())) {
            Cli viaProxy = Cli.against(proxy.address());
            Path restored = dir.resolve("restored");
            viaProxy.run("restore", "--wpar", "onetrip02", "--latest", "--to", restored.toString()).assertOk();
            assertEquals(Sha256.of(dir.resolve("onetrip02/memory.img")), Sha256.of(restored.resolve("memory.img")));
            List<String> sent = proxy.clientFrames().get(0);
            assertEquals(2, sent.size(), "HELLO, then one restore request: " + sent);
            assertTrue(sent.get(1).contains("\"op\":\"restore\""), sent.toString());

            List<String> jvm = new ArrayList<>(Cli.QUICK_JVM);
            jvm.add("-Dckpt.protocol.max=2");
            Path old = dir.resolve("restored-v2");
            viaProxy.jvm(jvm).run("restore", "--wpar", "onetrip02", "--id", Long.toString(id), "--to", old.toString())
                    .assertOk();
            assertEquals(Sha256.of(dir.resolve("onetrip02/memory.img")), Sha256.of(old.resolve("memory.img")));
            List<String> oldSent = proxy.clientFrames().get(1);
            assertEquals(4, oldSent.size(), "a version 2 client: HELLO, select, show, RESTORE_REQUEST: " + oldSent);
            assertEquals("RestoreRequest", oldSent.get(3), oldSent.toString());
        }
    }

    @Test
    void aVersionTwoConnectionIsRefusedTheRestoreRequestAndStillRestoresById(@TempDir Path dir) throws IOException {
        long id = pushTree(dir, "onetrip03").path("id").asLong();
        try (RawConnection c = RawConnection.open(server.port(), "raw", 1, 2)) {
            assertEquals(2, c.version());
            c.send(new Frame.Request("{\"op\":\"restore\",\"wpar\":\"onetrip03\",\"latest\":true}"));
            Frame.Error e = assertInstanceOf(Frame.Error.class, c.receive(WAIT));
            assertEquals(ErrorCode.BAD_REQUEST, e.code());
            assertTrue(e.message().contains("needs protocol version 3; this connection speaks version 2"), e.message());
            c.send(new Frame.RestoreRequest(id));
            Frame.Response header = assertInstanceOf(Frame.Response.class, c.receive(WAIT));
            assertEquals(id, JSON.readTree(header.json()).path("checkpoint").path("id").asLong());
            assertTrue(JSON.readTree(header.json()).path("parts").isMissingNode(), "version 2 answers as before: " + header.json());
            Frame f;
            while (!((f = c.receive(WAIT)) instanceof Frame.RestoreEnd)) {
                assertTrue(f != null && !(f instanceof Frame.Error), "restore by id as before: " + f);
                if (f instanceof Frame.Data d) {
                    d.release();
                }
            }
        }
    }

    @Test
    void aSelectorThatChoosesNothingIsNotFoundLikeSelectAndTheConnectionStaysOpen(@TempDir Path dir) throws IOException {
        pushTree(dir, "onetrip04");
        try (RawConnection c = RawConnection.open(server.port(), "raw", 1, 3)) {
            for (String sel : List.of("\"wpar\":\"onetrip-none\",\"latest\":true", "\"wpar\":\"onetrip04\",\"last_known_good\":true",
                    "\"wpar\":\"onetrip04\",\"at\":\"2001-01-01T00:00:00Z\"", "\"id\":999999")) {
                c.send(new Frame.Request("{\"op\":\"select\"," + sel + "}"));
                Frame.Error selected = assertInstanceOf(Frame.Error.class, c.receive(WAIT), sel);
                c.send(new Frame.Request("{\"op\":\"restore\"," + sel + "}"));
                Frame.Error restored = assertInstanceOf(Frame.Error.class, c.receive(WAIT), sel);
                assertEquals(ErrorCode.NOT_FOUND, restored.code(), restored.message());
                assertEquals(selected.message(), restored.message(), "the same answer as select for " + sel);
            }
            c.send(new Frame.Request("{\"op\":\"list\",\"wpar\":\"onetrip04\"}"));
            assertInstanceOf(Frame.Response.class, c.receive(WAIT), "the connection stays open");
        }
    }

    @Test
    void theCommitAcknowledgementIsTheCheckpointAsShowHasIt(@TempDir Path dir) throws IOException {
        JsonNode pushed = pushTree(dir, "onetrip05");
        JsonNode shown = ckpt.run("show", "--json", pushed.path("id").asText()).assertOk().json().path("checkpoint");
        for (String field : List.of("id", "wpar", "taken_at", "kind", "state", "health", "protected", "labels", "host",
                "logical_bytes", "stored_bytes", "chunks", "new_chunks", "parts", "created_at", "completed_at")) {
            assertEquals(shown.path(field), pushed.path(field), field + ": push " + pushed + " show " + shown);
        }
    }
}
