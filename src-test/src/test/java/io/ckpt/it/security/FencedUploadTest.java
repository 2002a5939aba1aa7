package io.ckpt.it.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.it.RawConnection;
import io.ckpt.it.SharedServer;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing in the middle of an upload (issue 13, defect 4; docs/RELOCATION.md, "Ownership and
 * fencing"): host-a begins a slow upload of a WPAR, host-b takes the WPAR over (a {@code claim}
 * with {@code take_over}, which raises the epoch as a failover or relocation does), and host-a's
 * upload must never become a checkpoint: it is ended with FENCED at once, and a commit that
 * gets through anyway is refused inside the commit transaction.
 */
class FencedUploadTest extends SharedServer {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void uploadOfAHostFencedMidwayNeverCommitsAndTheNewOwnersCheckpointsAreTheOnlyNewerOnes(@TempDir Path dir)
            throws IOException {
        String wpar = "fence01";
        byte[] image = bytes(1, 3 << 20);
        try (RawConnection a = RawConnection.open(server.port(), "host-a", 1, 2)) {
            long fencedId = beginStream(a, wpar);
            a.sendData(java.util.Arrays.copyOf(image, 1 << 20)); // a third of the image, then host-a stalls

            JsonNode claimed = claimAs("host-b", wpar);
            assertEquals(2, claimed.path("epoch").asLong(), claimed::toString);
            assertEquals("host-a", claimed.path("previous_owner").asText(), claimed::toString);
            Path file = dir.resolve("b.img");
            Files.write(file, bytes(2, 1 << 20));
            long byB = ckpt.run("push", "--wpar", wpar, "--host-id", "host-b", "--json", file.toString())
                    .assertOk().json().path("id").asLong();

            // host-a, unaware, finishes and commits, as a host cut off from the cluster would.
            sendQuietly(a, new Frame.Data(io.netty.buffer.Unpooled.wrappedBuffer(image, 1 << 20, image.length - (1 << 20))));
            sendQuietly(a, new Frame.PartEnd(image.length, ChunkDigest.sha256().digest(image)));
            sendQuietly(a, new Frame.UploadCommit());
            List<Frame> answers = untilCommittedOrClosed(a);
            assertFalse(answers.stream().anyMatch(f -> f instanceof Frame.UploadCommitted),
                    "a fenced host's upload never commits: " + answers);
            assertFenced(answers, wpar);

            List<Long> ids = new ArrayList<>();
            ckpt.run("list", "--wpar", wpar, "--json").assertOk().json().path("checkpoints")
                    .forEach(cp -> ids.add(cp.path("id").asLong()));
            assertEquals(List.of(byB), ids, "only host-b's checkpoint, not host-a's " + fencedId);
            JsonNode owner = request("host-b", JSON.createObjectNode().put("op", "owner").put("wpar", wpar));
            assertEquals("host-b", owner.path("owner").asText(), owner::toString);
        }
    }

    @Test
    void takeOverEndsTheOldOwnersUploadWithoutWaitingForItsCommit() throws IOException {
        String wpar = "fence02";
        try (RawConnection a = RawConnection.open(server.port(), "host-a", 1, 2)) {
            beginStream(a, wpar);
            a.sendData(bytes(3, 1 << 20));

            claimAs("host-b", wpar);
            // host-a sends nothing more: the server tells it at once.
            Frame told = a.receive(WAIT);
            assertFenced(List.of(told), wpar);
            assertNull(a.receive(WAIT), "then the server closes the connection");
        }
        assertEquals(0, ckpt.run("list", "--wpar", wpar, "--json").assertOk().json().path("checkpoints").size(),
                "the fenced upload left nothing");
    }

    private long beginStream(RawConnection c, String wpar) throws IOException {
        c.send(new Frame.UploadBegin(wpar, System.currentTimeMillis(), "manual", Frame.UploadBegin.MODE_STREAM, List.of()));
        long id = assertInstanceOf(Frame.UploadStarted.class, c.receive(WAIT)).checkpointId();
        c.send(new Frame.PartBegin(new PartInfo("memory.img", PartType.FILE, 0600, 0, "")));
        return id;
    }

    /** Takes {@code wpar} over for {@code host}, as {@code ckpt restore --start --take-over} does. */
    private JsonNode claimAs(String host, String wpar) throws IOException {
        return request(host, JSON.createObjectNode().put("op", "claim").put("wpar", wpar).put("host", host)
                .put("take_over", true));
    }

    private JsonNode request(String host, JsonNode req) throws IOException {
        try (RawConnection b = RawConnection.open(server.port(), host, 1, 2)) {
            b.send(new Frame.Request(req.toString()));
            Frame answer = b.receive(WAIT);
            return JSON.readTree(assertInstanceOf(Frame.Response.class, answer, () -> req + " answered " + answer).json());
        }
    }

    /** One of {@code frames} is FENCED naming the WPAR, host-a and both epochs. */
    private static void assertFenced(List<Frame> frames, String wpar) {
        Frame.Error e = frames.stream().filter(f -> f instanceof Frame.Error).map(f -> (Frame.Error) f).findFirst()
                .orElseThrow(() -> new AssertionError("no ERROR among " + frames));
        assertEquals(ErrorCode.FENCED, e.code(), e::toString);
        for (String named : List.of(wpar, "host-a", "host-b", "epoch 1", "epoch 2")) {
            assertTrue(e.message().contains(named), "names " + named + ": " + e.message());
        }
    }

    /** What the server says until it acknowledges a commit or closes the connection. */
    private static List<Frame> untilCommittedOrClosed(RawConnection c) throws IOException {
        List<Frame> frames = new ArrayList<>();
        for (Frame f = c.receive(WAIT); f != null; f = c.receive(WAIT)) {
            frames.add(f);
            if (f instanceof Frame.UploadCommitted) {
                break;
            }
        }
        return frames;
    }

    /** Sends as a client that has not yet read its ERROR would; the server may have closed already. */
    private static void sendQuietly(RawConnection c, Frame f) {
        try {
            c.send(f);
        } catch (IOException closed) {
            // the server ended the connection: what it said before is read by awaitClosed
        }
    }

    private static byte[] bytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
