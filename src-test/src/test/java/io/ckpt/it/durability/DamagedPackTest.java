package io.ckpt.it.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.it.restore.PushRestoreTest;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** A restore never passes on damaged bytes: it fails, says where, and leaves no output behind. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class DamagedPackTest {
    // Pack layout, version 1 (server/src/main/java/io/ckpt/store/PackFormat.java)
    private static final int PACK_HEADER = 24;
    private static final int RECORD_HEADER = 46;
    private static final int STORED_LENGTH_AT = 38;

    private ServerProcess server;
    private long id;
    private long flippedAt;

    /** One checkpoint of one 4 MiB image, then one byte flipped in its pack while the server was down. */
    @BeforeAll
    void damageAStoredCheckpoint(@TempDir Path dir) throws IOException {
        Path image = MemoryImage.ofSize(81, 4L << 20).writeTo(dir.resolve("web09.img"));
        Path datastore = dir.resolve("datastore");
        ServerProcess first = ServerProcess.start(datastore);
        try (first) {
            id = Cli.against(first).run("push", "--wpar", "web09", "--json", image.toString()).assertOk().json().path("id").asLong();
            first.terminate();
        }
        flippedAt = flipByteInMiddleRecord(datastore);
        server = first.restart();
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void restoreOfFlippedByteFailsNamingCheckpointPartAndOffsetAndLeavesNoFile(@TempDir Path out) {
        Path target = out.resolve("web09.img");
        Cli.Result r = Cli.against(server)
                .run("restore", "--wpar", "web09", "--id", Long.toString(id), "--to", target.toString())
                .assertExit(5);

        String error = PushRestoreTest.errorLine(r);
        assertTrue(error.contains("checkpoint " + id), "names the checkpoint: " + error);
        assertTrue(error.contains("'web09.img'"), "names the part: " + error);
        assertTrue(error.contains("offset " + flippedAt), "gives the damaged record's offset in its pack ("
                + flippedAt + "): " + error);
        assertEquals(List.of(), list(out), "no restored file and no partial file left behind");
    }

    @Test
    void failedRestoreWithForceKeepsTheFileItWouldHaveReplaced(@TempDir Path out) throws IOException {
        Path target = out.resolve("web09.img");
        Files.writeString(target, "the last good restore");

        Cli.Result r = Cli.against(server)
                .run("restore", "--wpar", "web09", "--id", Long.toString(id), "--to", target.toString(), "--force")
                .assertExit(5);

        PushRestoreTest.errorLine(r);
        assertTrue(Files.exists(target), "a damaged restore must not cost the existing file");
        assertEquals("the last good restore", Files.readString(target), "and leaves it as it was");
        assertEquals(List.of(target), list(out), "and leaves no partial file beside it");
    }

    @Test
    void damagedRestoreToStdoutExitsFive() {
        Sha256.Sink sink = new Sha256.Sink();
        Cli.Result r = Cli.against(server)
                .command("restore", "--wpar", "web09", "--id", Long.toString(id), "--to", "-").stdout(sink).run()
                .assertExit(5);
        assertTrue(PushRestoreTest.errorLine(r).contains("checkpoint " + id), r::toString);
        assertTrue(sink.count() < 4L << 20, "stopped before the end: " + sink.count() + " bytes");
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Flips one byte in the data of the middle record of the datastore's only pack; returns that record's offset. */
    private static long flipByteInMiddleRecord(Path datastore) throws IOException {
        List<Path> packs;
        try (Stream<Path> walk = Files.walk(datastore.resolve("packs"))) {
            packs = walk.filter(p -> p.toString().endsWith(".pack")).toList();
        }
        assertEquals(1, packs.size(), "packs: " + packs);
        return flipByteInMiddleRecord(packs.get(0), Long.MAX_VALUE);
    }

    /**
     * Flips one byte in the data of the middle record among those of {@code pack} that lie before
     * {@code end}; returns that record's offset. Shared with EmergencyRestoreTest.
     */
    public static long flipByteInMiddleRecord(Path pack, long end) throws IOException {
        try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            List<long[]> records = new ArrayList<>(); // offset, stored length
            ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
            long pos = PACK_HEADER;
            while (pos + RECORD_HEADER <= Math.min(end, ch.size())) {
                header.clear();
                ch.read(header, pos);
                if (header.get(0) != 'R') {
                    break; // the footer
                }
                int stored = header.getInt(STORED_LENGTH_AT);
                records.add(new long[] {pos, stored});
                pos += RECORD_HEADER + stored;
            }
            assertTrue(records.size() > 10, "an image of megabytes makes many records: " + records.size());
            long[] middle = records.get(records.size() / 2);
            long at = middle[0] + RECORD_HEADER + middle[1] / 2;
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x01)).position(0);
            ch.write(one, at);
            ch.force(true);
            return middle[0];
        }
    }
}
