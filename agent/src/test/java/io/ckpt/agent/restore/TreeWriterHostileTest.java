package io.ckpt.agent.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.chunk.ChunkDigest;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A directory restore never writes outside its target, whatever the checkpoint says (issue 7):
 * hostile part names cannot even be represented, a link part cannot be written through by a
 * later part, a link pointing outside comes back as a link and is never followed, and links left
 * where the restore stages or swaps are removed, not followed.
 */
final class TreeWriterHostileTest {
    private static final byte[] SECRET = "root:x:0:0".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PAYLOAD = "written through the link".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    Path outside;
    Path target;

    @BeforeEach
    void outsideHoldsOneFile() throws IOException {
        outside = Files.createDirectory(dir.resolve("outside"));
        Files.write(outside.resolve("passwd"), SECRET);
        target = dir.resolve("restore");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"..", "../outside/passwd", "a/../../outside/passwd", "/etc/passwd", "a/./b", "a//b", "a\\..\\b"})
    void partNameThatCouldLeaveTheTargetCannotBeGivenToTheWriter(String name) {
        // PartInfo applies PartNames, so neither the decoder nor the manifest reader can produce one.
        assertThrows(IllegalArgumentException.class, () -> new PartInfo(name, PartType.FILE, 0100644, 0, ""));
    }

    @Test
    void fileUnderALinkPartIsRefusedAndNothingIsWrittenOutside() throws IOException {
        TreeWriter w = new TreeWriter(target, false, false, n -> {});
        link(w, "a", outside.toString());
        file(w, "a/passwd", PAYLOAD);
        RestoreException e = assertThrows(RestoreException.class, w::finish);
        w.discard();
        assertEquals(RestoreException.Kind.DAMAGED, e.kind());
        assertTrue(e.getMessage().contains("'a' both as a symbolic link and as a file or directory"), e.getMessage());
        assertOutsideUntouchedAndNothingRestored();
    }

    @Test
    void fileBeforeTheLinkThatWouldHoldItIsRefusedToo() throws IOException {
        TreeWriter w = new TreeWriter(target, false, false, n -> {});
        file(w, "l/passwd", PAYLOAD);
        link(w, "l", "../outside");
        assertThrows(RestoreException.class, w::finish);
        w.discard();
        assertOutsideUntouchedAndNothingRestored();
    }

    @Test
    void linkUnderALinkPartIsRefused() throws IOException {
        TreeWriter w = new TreeWriter(target, false, false, n -> {});
        link(w, "a", outside.toString());
        link(w, "a/passwd", "/dev/null");
        RestoreException e = assertThrows(RestoreException.class, w::finish);
        w.discard();
        assertTrue(e.getMessage().contains("lies under the symbolic link 'a'"), e.getMessage());
        assertOutsideUntouchedAndNothingRestored();
    }

    @Test
    void directoryPartUnderALinkPartIsRefused() throws IOException {
        TreeWriter w = new TreeWriter(target, false, false, n -> {});
        link(w, "a", outside.toString());
        begin(w, new PartInfo("a/sub", PartType.DIRECTORY, 040700, 0, ""));
        w.endPart(0, ChunkDigest.sha256().digest());
        assertThrows(RestoreException.class, w::finish);
        w.discard();
        assertOutsideUntouchedAndNothingRestored();
    }

    @Test
    void linkPointingOutsideComesBackAsALinkAndIsNeverFollowed() throws IOException {
        TreeWriter w = new TreeWriter(target, false, false, n -> {});
        file(w, "data/img", PAYLOAD);
        link(w, "data/passwd", outside.resolve("passwd").toString());
        link(w, "up", "../outside");
        w.finish();
        assertEquals(outside.resolve("passwd"), Files.readSymbolicLink(target.resolve("data/passwd")));
        assertEquals(Path.of("../outside"), Files.readSymbolicLink(target.resolve("up")));
        assertArrayEquals(PAYLOAD, Files.readAllBytes(target.resolve("data/img")));
        assertArrayEquals(SECRET, Files.readAllBytes(outside.resolve("passwd")));
        assertEquals(List.of(outside.resolve("passwd")), list(outside));
    }

    @Test
    void stagingNameLeftAsALinkIsRemovedNotFollowed() throws IOException {
        Path staging = dir.resolve(".restore.ckpt-partial");
        Files.createSymbolicLink(staging, outside);
        TreeWriter w = new TreeWriter(target, false, false, n -> {});
        assertFalse(Files.isSymbolicLink(staging), "the planted link must be gone before anything is written");
        file(w, "passwd", PAYLOAD);
        w.finish();
        assertArrayEquals(PAYLOAD, Files.readAllBytes(target.resolve("passwd")));
        assertArrayEquals(SECRET, Files.readAllBytes(outside.resolve("passwd")));
    }

    @Test
    void oldNameLeftAsALinkIsRemovedWithoutDeletingWhatItPointsTo() throws IOException {
        Files.createSymbolicLink(dir.resolve(".restore.ckpt-old"), outside);
        TreeWriter w = new TreeWriter(target, false, false, n -> {});
        file(w, "x", PAYLOAD);
        w.finish();
        assertFalse(Files.exists(dir.resolve(".restore.ckpt-old"), LinkOption.NOFOLLOW_LINKS));
        assertArrayEquals(SECRET, Files.readAllBytes(outside.resolve("passwd")));
    }

    @Test
    void targetThatIsALinkToADirectoryIsRefused() throws IOException {
        Files.createSymbolicLink(target, outside);
        RestoreException e = assertThrows(RestoreException.class, () -> TreeWriter.destination(target, null, true));
        assertEquals(RestoreException.Kind.BAD_TARGET, e.kind());
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    }

    private void assertOutsideUntouchedAndNothingRestored() throws IOException {
        assertEquals(List.of(outside.resolve("passwd")), list(outside));
        assertArrayEquals(SECRET, Files.readAllBytes(outside.resolve("passwd")));
        assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS), "nothing may look restored");
        assertFalse(Files.exists(dir.resolve(".restore.ckpt-partial"), LinkOption.NOFOLLOW_LINKS));
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }

    private static void begin(TreeWriter w, PartInfo p) throws IOException {
        w.beginPart(p);
    }

    private static void link(TreeWriter w, String name, String target) throws IOException {
        begin(w, new PartInfo(name, PartType.SYMLINK, 0120777, 0, target));
        w.endPart(0, ChunkDigest.sha256().digest());
    }

    private static void file(TreeWriter w, String name, byte[] content) throws IOException {
        begin(w, new PartInfo(name, PartType.FILE, 0100644, 0, ""));
        w.data(ByteBuffer.wrap(content));
        w.endPart(content.length, ChunkDigest.sha256().digest(content));
    }
}
