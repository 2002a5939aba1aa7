package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.it.Cli;
import io.ckpt.it.HttpScrape;
import io.ckpt.it.RawConnection;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import io.ckpt.testkit.ServerProcess;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, "Faults": connections dropped at any byte. CrashTest kills a client process mid-upload
 * and LoadTest drops uploads between frames; here the cut falls at seeded random byte offsets of
 * the upload (inside a frame, on a frame boundary, right before the commit), and a restore is
 * dropped mid-stream. After each cut, every checkpoint completed before restores bit for bit and
 * nothing partial is visible.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DroppedConnectionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROUNDS = 9;
    private static final int FRAME = 16 << 10;
    /** One server for both tests (each on its own WPAR): a start costs seconds. */
    private ServerProcess server;
    private Path dir;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        server = ServerProcess.start(dir.resolve("datastore"));
    }

    @AfterAll
    void stop() {
        server.close();
    }

    @Test
    void uploadsCutAtRandomByteOffsetsLeaveNothingPartialAndEveryEarlierCheckpointIntact() throws Exception {
        Random rnd = new Random(20261126);
        Map<Long, byte[]> complete = new LinkedHashMap<>();
        long id = upload(server, "cut01", image(rnd, 150_000), -1);
        complete.put(id, lastImage);
        for (int round = 0; round < ROUNDS; round++) {
            byte[] img = image(rnd, 50_000 + rnd.nextInt(150_000));
            Upload u = frames(img, "cut01");
            int cut = switch (round % 3) {
                case 0 -> 1 + rnd.nextInt(u.bytes.length - 1); // anywhere, most likely inside a DATA frame
                case 1 -> u.boundaries.get(rnd.nextInt(u.boundaries.size() - 1)); // between two frames
                default -> u.boundaries.get(u.boundaries.size() - 1); // everything but UPLOAD_COMMIT
            };
            String where = "round " + round + ": cut at byte " + cut + " of " + u.bytes.length;
            long cutId = upload(server, "cut01", img, cut);
            awaitNoPartial(server, where);
            assertTrue(!listedIds(server, "cut01").contains(cutId), where + ": the cut upload is not listed");
            if (round % 2 == 1) {
                long ok = upload(server, "cut01", img, -1);
                complete.put(ok, img);
            }
            for (var e : complete.entrySet()) {
                assertArrayEquals(sha256(e.getValue()), sha256(restore(server, e.getKey(), -1)),
                        where + ": checkpoint " + e.getKey() + " restores bit for bit");
            }
        }
        assertEquals(new ArrayList<>(complete.keySet()), listedIds(server, "cut01"));
        // And through the real client once, for the bytes on disk.
        Path out = dir.resolve("restored");
        long first = complete.keySet().iterator().next();
        Cli.against(server).run("restore", "--wpar", "cut01", "--id", Long.toString(first), "--to", out.toString()).assertOk();
        assertArrayEquals(complete.get(first), Files.readAllBytes(out));
    }

    @Test
    void restoreDroppedMidStreamReleasesItsReaderAndTheNextRestoreWorks() throws Exception {
        Random rnd = new Random(7);
        // Far more than the socket buffers and the server's outbound buffer hold, so the drop finds the
        // restore mid-stream; mostly zero pages, which dedup to little, so that the upload is quick.
        byte[] img = image(rnd, 24 << 20, 16);
        long id = upload(server, "drop01", img, -1);
        HttpScrape http = new HttpScrape(server);
        for (int i = 0; i < 2; i++) {
            restore(server, id, 1 << 20); // reads 1 MiB of 24, then drops the connection
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (http.metrics().get("ckpt_restore_readers") != 0.0) {
            if (System.nanoTime() > deadline) {
                fail("restore readers still registered 10 s after the clients left: " + http.metrics().get("ckpt_restore_readers"));
            }
            Thread.sleep(100);
        }
        assertArrayEquals(sha256(img), sha256(restore(server, id, -1)), "the next restore is whole");
        try (RawConnection raw = RawConnection.open(server.port())) {
            raw.send(new Frame.Request("{\"op\":\"audit\",\"action\":\"restore.finished\",\"wpar\":\"drop01\"}"));
            JsonNode events = JSON.readTree(assertInstanceOf(Frame.Response.class, raw.receive(Duration.ofSeconds(10)))
                    .json()).path("events");
            assertEquals(3, events.size(), events::toString);
            assertEquals("failed", events.get(0).path("outcome").asText(), events::toString);
            assertEquals("the client disconnected", events.get(0).path("details").path("error").asText(), events::toString);
            assertEquals("ok", events.get(2).path("outcome").asText(), events::toString);
        }
    }

    private byte[] lastImage;

    private byte[] image(Random rnd, int size) {
        return image(rnd, size, 2);
    }

    /** {@code size} bytes in 4 KiB pages, one in {@code randomOneIn} random, the rest zero (like a memory image). */
    private byte[] image(Random rnd, int size, int randomOneIn) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i += 4096) {
            if (rnd.nextInt(randomOneIn) == 0) {
                byte[] page = new byte[Math.min(4096, size - i)];
                rnd.nextBytes(page);
                System.arraycopy(page, 0, b, i, page.length);
            }
        }
        lastImage = b;
        return b;
    }

    /** An upload's bytes after the handshake, and the offsets at which each frame after the first begins. */
    private record Upload(byte[] bytes, List<Integer> boundaries) {}

    private static Upload frames(byte[] img, String wpar) throws Exception {
        try (RawConnection encoder = RawConnection.encoderOnly()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            List<Integer> boundaries = new ArrayList<>();
            long now = System.currentTimeMillis();
            List<Frame> frames = new ArrayList<>();
            frames.add(new Frame.PartBegin(new PartInfo("image.bin", PartType.STREAM, 0600, now, "")));
            for (int off = 0; off < img.length; off += FRAME) {
                frames.add(new Frame.Data(Unpooled.wrappedBuffer(img, off, Math.min(FRAME, img.length - off))));
            }
            frames.add(new Frame.PartEnd(img.length, sha256(img)));
            frames.add(new Frame.UploadCommit());
            for (Frame f : frames) {
                if (out.size() > 0) {
                    boundaries.add(out.size());
                }
                out.writeBytes(encoder.encode(f));
            }
            return new Upload(out.toByteArray(), boundaries);
        }
    }

    /**
     * Uploads {@code img}; with {@code cutAt} ≥ 0, sends only that many bytes after UPLOAD_BEGIN and
     * drops the connection. Returns the checkpoint id.
     */
    private static long upload(ServerProcess server, String wpar, byte[] img, int cutAt) throws Exception {
        Upload u = frames(img, wpar);
        try (RawConnection raw = RawConnection.open(server.port())) {
            raw.send(new Frame.UploadBegin(wpar, System.currentTimeMillis(), "manual", Frame.UploadBegin.MODE_STREAM, List.of()));
            long id = assertInstanceOf(Frame.UploadStarted.class, raw.receive(Duration.ofSeconds(10))).checkpointId();
            if (cutAt >= 0) {
                raw.sendRaw(u.bytes, 0, cutAt);
                raw.abort();
                return id;
            }
            raw.sendRaw(u.bytes, 0, u.bytes.length);
            Frame answer = raw.receive(Duration.ofSeconds(30));
            assertInstanceOf(Frame.UploadCommitted.class, answer, () -> "commit answered with " + answer);
            return id;
        }
    }

    /** The restored bytes of checkpoint {@code id}; with {@code dropAfter} ≥ 0, drops the connection after that many. */
    private static byte[] restore(ServerProcess server, long id, int dropAfter) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RawConnection raw = RawConnection.open(server.port())) {
            raw.send(new Frame.RestoreRequest(id));
            while (true) {
                Frame f = raw.receive(Duration.ofSeconds(30));
                if (f instanceof Frame.Data d) {
                    byte[] b = new byte[d.bytes().readableBytes()];
                    d.bytes().readBytes(b);
                    d.release();
                    out.writeBytes(b);
                    if (dropAfter >= 0 && out.size() >= dropAfter) {
                        raw.abort();
                        return out.toByteArray();
                    }
                } else if (f instanceof Frame.RestoreEnd || f == null) {
                    assertInstanceOf(Frame.RestoreEnd.class, f, "restore of " + id + " ended early");
                    return out.toByteArray();
                } else if (f instanceof Frame.Error e) {
                    fail("restore of " + id + ": " + e);
                }
            }
        }
    }

    /** Waits until the server has discarded every cut upload: list --all shows only complete checkpoints. */
    private static void awaitNoPartial(ServerProcess server, String where) throws Exception {
        HttpScrape http = new HttpScrape(server);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            JsonNode all = http.json("/api/v1/checkpoints?all=true").path("checkpoints");
            boolean partial = false;
            for (JsonNode c : all) {
                partial |= !c.path("state").asText().equals("complete");
            }
            if (!partial && http.metrics().get("ckpt_uploads_active") == 0.0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail(where + ": a partial checkpoint is still listed 10 s after the cut: " + all);
            }
            Thread.sleep(50);
        }
    }

    private static List<Long> listedIds(ServerProcess server, String wpar) throws Exception {
        List<Long> ids = new ArrayList<>();
        new HttpScrape(server).json("/api/v1/checkpoints?all=true&wpar=" + wpar).path("checkpoints")
                .forEach(c -> ids.add(c.path("id").asLong()));
        ids.sort(null);
        return ids;
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
