package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.it.RawConnection;
import io.ckpt.it.Sha256;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.testkit.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a peer that has not said HELLO may cost the server (docs/OPERATIONS.md, "Under load"): a
 * frame before HELLO is at most 64 KiB, refused as soon as its length is read; and no more than
 * {@code --max-connections} connections are open at once, one more refused at once with a clear
 * error and a log line.
 */
class ConnectionLimitsTest {
    @TempDir
    Path dir;
    ServerProcess server;

    @BeforeEach
    void start() throws Exception {
        server = ServerProcess.on(dir.resolve("datastore")).args("--max-connections", "2").start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aLargeFrameBeforeHelloIsRefusedAtItsLengthNotBufferedUpToTheFrameLimit() throws Exception {
        try (RawConnection raw = RawConnection.connect(server.port())) {
            int length = 1 << 20; // far below the 8 MiB frame limit of a welcomed connection
            byte[] header = {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length, 0x01};
            raw.sendRaw(header, 0, header.length); // and not one byte of its body
            Frame f = raw.receive(Duration.ofSeconds(10));
            Frame.Error e = assertInstanceOf(Frame.Error.class, f, "refused at once, not after --frame-timeout");
            assertEquals(ErrorCode.BAD_REQUEST, e.code());
            assertTrue(e.message().contains("before HELLO may be at most 64 KiB"), e.message());
        }
        // A welcomed connection still takes frames beyond 64 KiB: a 1 MiB DATA frame of an upload.
        try (RawConnection raw = RawConnection.open(server.port())) {
            raw.send(new Frame.UploadBegin("big1", System.currentTimeMillis(), "memory", Frame.UploadBegin.MODE_STREAM,
                    List.of()));
            assertInstanceOf(Frame.UploadStarted.class, raw.receive(Duration.ofSeconds(10)));
            raw.send(new Frame.PartBegin(new io.ckpt.protocol.PartInfo("p", io.ckpt.protocol.PartType.FILE, 0644, 0, null)));
            raw.sendData(new byte[1 << 20]);
            raw.send(new Frame.PartEnd(1 << 20, java.util.HexFormat.of().parseHex(Sha256.of(new byte[1 << 20]))));
            raw.send(new Frame.UploadCommit());
            assertInstanceOf(Frame.UploadCommitted.class, raw.receive(Duration.ofSeconds(30)));
        }
    }

    @Test
    void aConnectionBeyondMaxConnectionsIsRefusedWithAClearErrorAndALogLine() throws Exception {
        int mark = server.logMark();
        try (RawConnection one = RawConnection.open(server.port()); RawConnection two = RawConnection.open(server.port())) {
            try (RawConnection three = RawConnection.connect(server.port())) {
                Frame f = three.receive(Duration.ofSeconds(10));
                Frame.Error e = assertInstanceOf(Frame.Error.class, f, "refused at once");
                assertEquals(ErrorCode.CONFLICT, e.code());
                assertTrue(e.message().contains("2 connections open") && e.message().contains("--max-connections"),
                        e.message());
                assertEquals(null, three.receive(Duration.ofSeconds(10)), "and closed");
            }
            assertNotNull(server.awaitLog(mark, Pattern.compile("refusing connection from .*--max-connections"),
                    Duration.ofSeconds(10)));
        }
        // The two closed: their places are free again.
        for (int i = 0; i < 50; i++) {
            try (RawConnection again = RawConnection.open(server.port())) {
                return;
            } catch (java.io.IOException busy) {
                Thread.sleep(100); // the server frees a place when it has seen the close
            }
        }
        throw new AssertionError("no connection accepted after the others closed");
    }
}
