package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The datastore directory as an {@link ObjectStore}: the contract, and the file layout it must
 * keep so that datastores written before the interface open unchanged (a key is the file's path
 * under the root; staging is {@code tmp/NAME.tmp}).
 */
final class LocalObjectStoreTest extends ObjectStoreContract {
    @TempDir
    Path dir;
    private LocalObjectStore store;

    @BeforeEach
    void open() throws IOException {
        Files.createDirectories(dir.resolve("tmp"));
        store = new LocalObjectStore(dir, dir.resolve("tmp"));
    }

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected ObjectStore restarted() {
        return new LocalObjectStore(dir, dir.resolve("tmp"));
    }

    @Test
    void aKeyIsTheFileOfThatPathAndStagingIsTmp() throws IOException {
        try (ObjectStore.Appender a = store.create("packs/2a/000000000000002a.pack", ByteBuffer.allocate(24))) {
            a.seal();
        }
        assertTrue(Files.isRegularFile(dir.resolve("packs/2a/000000000000002a.pack")));
        assertEquals(dir.resolve("packs/2a/000000000000002a.pack"), store.path("packs/2a/000000000000002a.pack"));

        ObjectStore.Staged st = store.stage("manifests/000000000000002a.manifest");
        st.output().write(1);
        assertEquals(List.of(dir.resolve("tmp/000000000000002a.manifest.tmp")), list(dir.resolve("tmp")),
                "staged where recovery has always looked for half-written manifests");
        assertEquals(List.of(), store.list("t"), "staging is not listed, although it lies under the root");
        st.publish();
        assertEquals(List.of(), list(dir.resolve("tmp")));
        assertTrue(Files.isRegularFile(dir.resolve("manifests/000000000000002a.manifest")));
    }

    @Test
    void discardUnpublishedEmptiesTmpAndLeavesOpenPacksAlone() throws IOException {
        ObjectStore.Appender open = store.create("packs/01/0000000000000001.pack", ByteBuffer.allocate(24));
        Files.write(dir.resolve("tmp/0000000000000002.pack.tmp"), new byte[24]); // a create cut off before its rename
        store.stage("manifests/0000000000000003.manifest").output().write(1);
        store.discardUnpublished();
        assertEquals(List.of(), list(dir.resolve("tmp")));
        assertTrue(store.exists("packs/01/0000000000000001.pack"));
        open.close();
    }

    @Test
    void aLogIsInAppendModeSoTwoAppendersOfOneFileNeverOverwriteEachOther() throws IOException {
        try (ObjectStore.Appender one = store.appendable("journal/catalog.journal");
                ObjectStore.Appender two = restarted().appendable("journal/catalog.journal")) {
            one.append(ByteBuffer.wrap("a\n".getBytes(StandardCharsets.UTF_8)));
            two.append(ByteBuffer.wrap("b\n".getBytes(StandardCharsets.UTF_8)));
            one.append(ByteBuffer.wrap("c\n".getBytes(StandardCharsets.UTF_8)));
        }
        assertEquals("a\nb\nc\n", Files.readString(dir.resolve("journal/catalog.journal")));
        assertFalse(store.exists("journal/catalog.journal.tmp"));
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }
}
