package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.it.Cli;
import io.ckpt.it.HttpScrape;
import io.ckpt.it.RawConnection;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, "Faults": stalled and slow clients are dropped within the deadlines (here 2 s, set
 * short) without holding what they took: with --max-uploads 1, a normal push succeeds right
 * after, while the dropped client still holds its socket open, and nothing partial is listed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlowClientTest {
    private static final int DEADLINE = 2;
    /** Dropped no later than this: the deadline, a tick of the scheduler, and a slow CI machine. */
    private static final Duration WITHIN = Duration.ofSeconds(DEADLINE + 3);
    /** The idle timeout: past the other deadlines, so that each of those is what catches its client. */
    private static final int IDLE = 5;

    private ServerProcess server;
    private Cli ckpt;
    private Path image;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        server = ServerProcess.on(dir.resolve("datastore")).args("--max-uploads", "1", "--idle-timeout", Integer.toString(IDLE),
                "--handshake-timeout", Integer.toString(DEADLINE), "--frame-timeout", Integer.toString(DEADLINE)).start();
        ckpt = Cli.against(server);
        byte[] bytes = new byte[300_000];
        new Random(7).nextBytes(bytes);
        image = Files.write(dir.resolve("image"), bytes);
    }

    @AfterAll
    void stop() {
        server.close();
    }

    @Test
    void clientThatNeverSendsHelloIsDroppedAtTheHandshakeDeadline() throws Exception {
        try (RawConnection raw = RawConnection.connect(server.port())) {
            long t0 = System.nanoTime();
            List<Frame> got = raw.awaitClosed(WITHIN);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds >= DEADLINE - 0.5, "dropped after " + seconds + " s, before the deadline");
            Frame.Error e = assertInstanceOf(Frame.Error.class, got.get(0), got::toString);
            assertTrue(e.message().contains("no HELLO within " + DEADLINE + " s"), e::toString);
        }
    }

    @Test
    void uploadStalledInTheMiddleOfAFrameIsDroppedAndFreesItsUploadSlot() throws Exception {
        try (RawConnection raw = RawConnection.open(server.port())) {
            long id = beginUpload(raw, "stalled01");
            raw.sendData(new byte[64 << 10]);
            byte[] frame = raw.encode(new Frame.Data(io.netty.buffer.Unpooled.wrappedBuffer(new byte[64 << 10])));
            raw.sendRaw(frame, 0, frame.length / 2); // and nothing more
            Frame.Error e = droppedWithin(raw);
            assertTrue(e.message().contains("--frame-timeout"), e::toString);
            assertSlotFreeAndNothingPartial(id, "after-stall");
        }
    }

    @Test
    void clientTricklingAByteAtATimeIsDroppedAlthoughNeverIdle() throws Exception {
        try (RawConnection raw = RawConnection.open(server.port())) {
            long id = beginUpload(raw, "trickle01");
            byte[] frame = raw.encode(new Frame.Data(io.netty.buffer.Unpooled.wrappedBuffer(new byte[1000])));
            long t0 = System.nanoTime();
            for (int i = 0; i < frame.length && !raw.hasInput() && System.nanoTime() - t0 < WITHIN.toNanos(); i++) {
                raw.sendRaw(frame, i, i + 1); // until the server answers (its ERROR), or long past the deadline
                Thread.sleep(200);
            }
            Frame.Error e = droppedWithin(raw);
            assertTrue(e.message().contains("still incomplete " + DEADLINE + " s after its first byte"), e::toString);
            assertSlotFreeAndNothingPartial(id, "after-trickle");
        }
    }

    @Test
    void restoreToAClientThatStopsReadingIsDroppedAndReleasesItsReaderWhileTheSocketStaysOpen() throws Exception {
        byte[] img = new byte[24 << 20]; // zeros: stored in a few chunks, but 24 MiB to send, more than every buffer holds
        long id;
        try (RawConnection raw = RawConnection.open(server.port())) {
            id = beginUpload(raw, "stall-reader");
            for (int off = 0; off < img.length; off += 1 << 20) {
                raw.sendData(java.util.Arrays.copyOfRange(img, off, off + (1 << 20)));
            }
            raw.send(new Frame.PartEnd(img.length, java.security.MessageDigest.getInstance("SHA-256").digest(img)));
            raw.send(new Frame.UploadCommit());
            assertInstanceOf(Frame.UploadCommitted.class, raw.receive(Duration.ofSeconds(60)));
        }
        HttpScrape http = new HttpScrape(server);
        try (RawConnection raw = RawConnection.open(server.port())) {
            raw.send(new Frame.RestoreRequest(id)); // and never read
            long t0 = System.nanoTime();
            while (http.metrics().get("ckpt_restore_readers") == 0.0 && System.nanoTime() - t0 < 5e9) {
                Thread.sleep(50);
            }
            assertEquals(1.0, http.metrics().get("ckpt_restore_readers"), "the restore is under way");
            // Writes stall, nothing completes: idle after IDLE s, then the reader must go at once, not at the close.
            while (http.metrics().get("ckpt_restore_readers") != 0.0) {
                assertTrue(System.nanoTime() - t0 < (IDLE + 4) * 1_000_000_000L,
                        "reader still registered " + (System.nanoTime() - t0) / 1e9 + " s after a restore to a client that reads nothing");
                Thread.sleep(100);
            }
        }
        try (RawConnection raw = RawConnection.open(server.port())) { // it was cut off, not finished into the buffers
            raw.send(new Frame.Request("{\"op\":\"audit\",\"action\":\"restore.finished\",\"wpar\":\"stall-reader\"}"));
            JsonNode events = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    assertInstanceOf(Frame.Response.class, raw.receive(Duration.ofSeconds(10))).json()).path("events");
            assertEquals(1, events.size(), events::toString);
            assertEquals("failed", events.get(0).path("outcome").asText(), events::toString);
        }
    }

    private static long beginUpload(RawConnection raw, String wpar) throws Exception {
        long now = System.currentTimeMillis();
        raw.send(new Frame.UploadBegin(wpar, now, "manual", Frame.UploadBegin.MODE_STREAM, List.of()));
        long id = assertInstanceOf(Frame.UploadStarted.class, raw.receive(Duration.ofSeconds(10))).checkpointId();
        raw.send(new Frame.PartBegin(new PartInfo("image.bin", PartType.STREAM, 0600, now, "")));
        return id;
    }

    private static Frame.Error droppedWithin(RawConnection raw) throws Exception {
        long t0 = System.nanoTime();
        List<Frame> got = raw.awaitClosed(WITHIN);
        assertTrue(System.nanoTime() - t0 < WITHIN.toNanos(), "closed in time");
        Frame.Error e = assertInstanceOf(Frame.Error.class, got.get(0), got::toString);
        assertEquals(ErrorCode.BAD_REQUEST, e.code(), e::toString);
        return e;
    }

    /** With the dropped client's socket still open: a push takes the only upload slot, and only complete checkpoints are listed (the list --all query, read over HTTP to spare a client start). */
    private void assertSlotFreeAndNothingPartial(long droppedId, String wpar) throws Exception {
        long pushed = ckpt.run("push", "--wpar", wpar, "--json", image.toString()).assertOk().json().path("id").asLong();
        HttpScrape http = new HttpScrape(server);
        JsonNode all = http.json("/api/v1/checkpoints?all=true").path("checkpoints"); // what 'ckpt list --all' asks
        assertTrue(all.size() >= 1, all::toString);
        for (JsonNode c : all) {
            assertEquals("complete", c.path("state").asText(), all::toString);
            assertTrue(c.path("id").asLong() != droppedId, all::toString);
        }
        assertTrue(all.toString().contains("\"id\":" + pushed), all::toString);
        assertEquals(0.0, http.metrics().get("ckpt_uploads_active"));
    }
}
