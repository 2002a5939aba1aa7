package io.ckpt.agent.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore is put in place only when it holds every part the checkpoint has (issue 20): the
 * header names the part count, and a stream that ends early (a server or proxy that closes the
 * restore cleanly after fewer parts) is refused, nothing replaced.
 */
final class TreeWriterCompletenessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void restoreWithFewerPartsThanTheCheckpointHasIsRefusedAndNothingIsPutInPlace() throws IOException {
        Path target = dir.resolve("restore");
        TreeWriter w = new TreeWriter(target, false, false, n -> {});
        w.header(JSON.createObjectNode().put("id", 7).put("parts", 3));
        w.beginPart(new PartInfo("state", PartType.DIRECTORY, 040700, 0, ""));
        w.endPart(0, ChunkDigest.sha256().digest());
        file(w, "state/mem.img", "memory".getBytes(StandardCharsets.UTF_8));
        RestoreException e = assertThrows(RestoreException.class, w::finish);
        w.discard();
        assertEquals(RestoreException.Kind.DAMAGED, e.kind());
        assertTrue(e.getMessage().contains("2 of the 3 parts"), e.getMessage());
        assertFalse(Files.exists(target), "nothing restored");
    }

    @Test
    void restoreWithEveryPartIsPutInPlace() throws IOException {
        Path target = dir.resolve("restore");
        TreeWriter w = new TreeWriter(target, false, false, n -> {});
        w.header(JSON.createObjectNode().put("id", 7).put("parts", 2));
        w.beginPart(new PartInfo("state", PartType.DIRECTORY, 040700, 0, ""));
        w.endPart(0, ChunkDigest.sha256().digest());
        file(w, "state/mem.img", "memory".getBytes(StandardCharsets.UTF_8));
        w.finish();
        assertEquals("memory", Files.readString(target.resolve("state/mem.img")));
    }

    private static void file(TreeWriter w, String name, byte[] content) throws IOException {
        w.beginPart(new PartInfo(name, PartType.FILE, 0100600, 0, ""));
        w.data(ByteBuffer.wrap(content));
        w.endPart(content.length, ChunkDigest.sha256().digest(content));
    }
}
