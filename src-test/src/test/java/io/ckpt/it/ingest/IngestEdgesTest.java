package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.chunk.ChunkDigest;
import io.ckpt.it.RawConnection;
import io.ckpt.it.SharedServer;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a raw client can send that the real client never would, refused at ingest so that no
 * checkpoint is accepted that cannot be restored (issue 21, item 5), against a real server.
 */
class IngestEdgesTest extends SharedServer {
    private static final Duration WAIT = Duration.ofSeconds(20);

    /** File {@code x/f} then symbolic link {@code x}: restore could never create both. */
    @Test
    void aSymlinkNamedLikeAnEarlierPartsDirectoryIsRefusedAndNothingIsListed() throws IOException {
        String wpar = "edge01";
        try (RawConnection c = RawConnection.open(server.port())) {
            c.send(new Frame.UploadBegin(wpar, System.currentTimeMillis(), "manual", Frame.UploadBegin.MODE_STREAM, List.of()));
            assertInstanceOf(Frame.UploadStarted.class, c.receive(WAIT));
            byte[] f = "inside x".getBytes(StandardCharsets.UTF_8);
            c.send(new Frame.PartBegin(new PartInfo("x/f", PartType.FILE, 0600, 0, "")));
            c.sendData(f);
            c.send(new Frame.PartEnd(f.length, ChunkDigest.sha256().digest(f)));
            c.send(new Frame.PartBegin(new PartInfo("x", PartType.SYMLINK, 0777, 0, "/tmp")));
            c.send(new Frame.PartEnd(0, ChunkDigest.sha256().digest(new byte[0])));
            c.send(new Frame.UploadCommit());
            List<Frame> answers = new java.util.ArrayList<>();
            for (Frame a = c.receive(WAIT); a != null; a = a instanceof Frame.UploadCommitted ? null : c.receive(WAIT)) {
                answers.add(a); // until the server commits or ends the connection
            }
            Frame.Error e = answers.stream().filter(a -> a instanceof Frame.Error).map(a -> (Frame.Error) a)
                    .findFirst().orElseThrow(() -> new AssertionError("no ERROR among " + answers));
            assertEquals(ErrorCode.BAD_REQUEST, e.code(), e::toString);
            assertTrue(e.message().contains("'x'") && e.message().contains("'x/f'"), e::toString);
            assertTrue(answers.stream().noneMatch(a -> a instanceof Frame.UploadCommitted), answers::toString);
        }
        assertEquals(0, ckpt.run("list", "--wpar", wpar, "--json").assertOk().json().path("checkpoints").size(),
                "the refused upload left nothing");
    }

    /** A host id past NameLimits.MAX_HOST would store rows RowLimits refuses to read back (issue 21). */
    @Test
    void aHelloWithAThousandCharacterHostIdIsRefusedNamingTheLimit() throws IOException {
        try (RawConnection c = RawConnection.connect(server.port())) {
            c.send(new Frame.Hello(1, 2, "ckpt-it/raw", "h".repeat(1000), new byte[0]));
            Frame answer = c.receive(WAIT);
            Frame.Error e = assertInstanceOf(Frame.Error.class, answer, () -> "HELLO answered " + answer);
            assertEquals(ErrorCode.BAD_REQUEST, e.code(), e::toString);
            assertTrue(e.message().contains("host id") && e.message().contains("256"), e::toString);
        }
    }

    /** An `at` past what milliseconds since 1970 can hold is a bad argument, not a server error. */
    @Test
    void aSelectAtAFarFutureInstantIsABadRequestNamingTheField(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.img");
        java.nio.file.Files.writeString(file, "one checkpoint, so that the select reaches 'at'");
        ckpt.run("push", "--wpar", "edge03", file.toString()).assertOk();
        try (RawConnection c = RawConnection.open(server.port())) {
            c.send(new Frame.Request("{\"op\":\"select\",\"wpar\":\"edge03\",\"at\":\"+999999999-01-01T00:00:00Z\"}"));
            Frame answer = c.receive(WAIT);
            Frame.Error e = assertInstanceOf(Frame.Error.class, answer, () -> "select answered " + answer);
            assertEquals(ErrorCode.BAD_REQUEST, e.code(), e::toString);
            assertTrue(e.message().contains("'at'") && e.message().contains("+999999999"), e::toString);
        }
    }
}
