package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ObjectStore} must do, as its javadoc says; an implementation's test extends
 * this class ({@link LocalObjectStoreTest}). A crash is simulated by dropping every handle without
 * closing it and opening {@link #restarted()} over the same place, as a server started after a
 * kill -9 does.
 */
abstract class ObjectStoreContract {
    private static final String PACK = "packs/2a/000000000000002a.pack";

    /** The store under test: the same one on every call within a test. */
    protected abstract ObjectStore store() throws IOException;

    /** A new store over the same place, as the next process after a crash opens it. */
    protected abstract ObjectStore restarted() throws IOException;

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] noise(int seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] readAll(ObjectStore store, String key) throws IOException {
        try (InputStream in = store.open(key).stream()) {
            return in.readAllBytes();
        }
    }

    private static String text(ObjectStore store, String key) throws IOException {
        return new String(readAll(store, key), StandardCharsets.UTF_8);
    }

    @Test
    void aCreatedObjectHoldsItsHeadUnderItsKeyAndIsListed() throws IOException {
        ObjectStore s = store();
        try (ObjectStore.Appender a = s.create(PACK, bytes("HEAD"))) {
            assertEquals(PACK, a.key());
            assertEquals(4, a.size());
            assertTrue(s.exists(PACK));
            assertEquals(4, s.size(PACK));
            assertEquals("HEAD", text(s, PACK));
            assertEquals(List.of(PACK), s.list("packs/"));
        }
    }

    @Test
    void createOfAnExistingKeyFailsAndLeavesTheObjectAlone() throws IOException {
        ObjectStore s = store();
        try (ObjectStore.Appender a = s.create(PACK, bytes("HEAD"))) {
            a.append(bytes("-one"));
            a.seal();
        }
        assertThrows(FileAlreadyExistsException.class, () -> s.create(PACK, bytes("OTHER")));
        assertEquals("HEAD-one", text(s, PACK));
    }

    @Test
    void appendsAreReadBackBeforeSealEvenByAReaderOpenedEarlier() throws IOException {
        ObjectStore s = store();
        try (ObjectStore.Appender a = s.create(PACK, bytes("HEAD"));
                ObjectStore.ObjectReader early = s.open(PACK)) {
            a.append(bytes("-one"));
            assertEquals("HEAD-one", text(s, PACK), "a reader opened after the append");
            ByteBuffer dst = ByteBuffer.allocate(4);
            assertEquals(4, early.readFully(dst, 4), "a reader opened before it (restore keeps packs open)");
            assertEquals("-one", new String(dst.array(), StandardCharsets.UTF_8));
            assertEquals(8, a.size());
        }
    }

    @Test
    void aSealedObjectCannotBeAppendedTruncatedOrForcedAndDoesNotChange() throws IOException {
        ObjectStore s = store();
        ObjectStore.Appender a = s.create(PACK, bytes("HEAD"));
        a.append(bytes("-one"));
        a.seal();
        assertThrows(ClosedChannelException.class, () -> a.append(bytes("-two")));
        assertThrows(ClosedChannelException.class, () -> a.truncate(4));
        assertThrows(ClosedChannelException.class, a::force);
        assertThrows(ClosedChannelException.class, a::seal);
        ByteBuffer back = ByteBuffer.allocate(8);
        assertEquals(8, ObjectStore.readFully(a::read, back, 0), "the writer reads back what it sealed");
        assertEquals("HEAD-one", new String(back.array(), StandardCharsets.UTF_8));
        a.close();
        assertEquals("HEAD-one", text(s, PACK));
        assertEquals("HEAD-one", text(restarted(), PACK), "durable: a new process reads it whole");
    }

    @Test
    void rangedReadsAtTheEdgesOfAnObject() throws IOException {
        ObjectStore s = store();
        byte[] body = noise(1, 1000);
        try (ObjectStore.Appender a = s.create(PACK, ByteBuffer.wrap(body, 0, 100))) {
            a.append(ByteBuffer.wrap(body, 100, 900));
            a.seal();
        }
        try (ObjectStore.ObjectReader r = s.open(PACK)) {
            assertEquals(1000, r.size());
            ByteBuffer all = ByteBuffer.allocate(1000);
            assertEquals(1000, r.readFully(all, 0));
            assertArrayEquals(body, all.array(), "the whole object from offset 0");

            ByteBuffer last = ByteBuffer.allocate(1);
            assertEquals(1, r.read(last, 999), "the last byte");
            assertEquals(body[999], last.get(0));

            ByteBuffer across = ByteBuffer.allocate(10);
            assertEquals(4, r.readFully(across, 996), "a range running past the end is cut at the end");
            assertArrayEquals(Arrays.copyOfRange(body, 996, 1000), Arrays.copyOf(across.array(), 4));

            assertEquals(-1, r.read(ByteBuffer.allocate(1), 1000), "at the end");
            assertEquals(-1, r.read(ByteBuffer.allocate(1), 5000), "past the end");
            assertEquals(0, r.readFully(ByteBuffer.allocate(8), 1000));
            assertEquals(0, r.read(ByteBuffer.allocate(0), 10), "an empty range");

            ByteBuffer middle = ByteBuffer.allocate(300);
            assertEquals(300, r.readFully(middle, 350));
            assertArrayEquals(Arrays.copyOfRange(body, 350, 650), middle.array(), "a range in the middle");
        }
    }

    @Test
    void listIsByPrefixAtAnyDepthInOrderAndForgetsDeletedKeys() throws IOException {
        ObjectStore s = store();
        for (String key : List.of("packs/2b/000000000000002b.pack", PACK, "manifests/000000000000002a.manifest",
                "manifests/uncommitted/0000000000000001.manifest", "journal/catalog.journal")) {
            try (ObjectStore.Appender a = s.create(key, bytes("x"))) {
                a.seal();
            }
        }
        assertEquals(List.of(PACK, "packs/2b/000000000000002b.pack"), s.list("packs/"));
        assertEquals(List.of("packs/2b/000000000000002b.pack"), s.list("packs/2b"), "a prefix need not end at a '/'");
        assertEquals(List.of("manifests/000000000000002a.manifest", "manifests/uncommitted/0000000000000001.manifest"),
                s.list("manifests/"));
        assertEquals(List.of(), s.list("nothing/"));
        assertEquals(List.of("journal/catalog.journal"), s.list("j"));

        assertTrue(s.delete(PACK));
        assertFalse(s.delete(PACK), "a second delete finds nothing");
        assertEquals(List.of("packs/2b/000000000000002b.pack"), s.list("packs/"));
        assertFalse(s.exists(PACK));
        assertThrows(NoSuchFileException.class, () -> s.open(PACK));
        assertThrows(NoSuchFileException.class, () -> s.size(PACK));
        assertEquals(List.of("packs/2b/000000000000002b.pack"), restarted().list("packs/"));
    }

    @Test
    void aStagedObjectIsInvisibleUntilPublishedThenWholeAndDurable() throws IOException {
        ObjectStore s = store();
        String key = "manifests/000000000000002a.manifest";
        try (ObjectStore.Staged st = s.stage(key)) {
            st.output().write("first".getBytes(StandardCharsets.UTF_8));
            assertFalse(s.exists(key));
            assertEquals(List.of(), s.list("manifests/"), "a staged object is not listed");
            st.output().close(); // closing the stream neither publishes nor drops
            st.publish();
        }
        assertEquals("first", text(s, key));
        assertEquals("first", text(restarted(), key));

        try (ObjectStore.Staged st = s.stage(key)) {
            st.output().write("second, longer".getBytes(StandardCharsets.UTF_8));
            assertEquals("first", text(s, key), "the old object stays until the new one is published");
            st.publish();
        }
        assertEquals("second, longer", text(s, key), "publish replaces in one step");

        try (ObjectStore.Staged st = s.stage(key)) {
            st.output().write("dropped".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals("second, longer", text(s, key), "closed without publish: nothing changes");
    }

    @Test
    void aCrashBeforeSealLeavesTheForcedPrefixToResumeCutAndSeal() throws IOException {
        ObjectStore s = store();
        ObjectStore.Appender a = s.create(PACK, bytes("HEAD"));
        a.append(bytes("-one"));
        a.force();
        a.append(bytes("-torn")); // not forced: may or may not survive
        // kill -9: no seal, no close

        ObjectStore after = restarted();
        after.discardUnpublished(); // what a start does: an unsealed appendable object is not staging
        assertTrue(after.exists(PACK), "the unsealed object is still under its key");
        assertEquals(List.of(PACK), after.list("packs/"));
        byte[] survived = readAll(after, PACK);
        assertTrue(survived.length >= 8, "every forced byte survives: " + survived.length);
        assertEquals("HEAD-one", new String(survived, 0, 8, StandardCharsets.UTF_8));

        try (ObjectStore.Appender r = after.resume(PACK, 8)) {
            assertEquals(8, r.size());
            r.append(bytes("|FOOT"));
            r.seal();
        }
        assertEquals("HEAD-one|FOOT", text(after, PACK));
        assertEquals("HEAD-one|FOOT", text(restarted(), PACK));
    }

    @Test
    void aCrashBeforePublishLeavesNothingUnderTheKey() throws IOException {
        ObjectStore s = store();
        String key = "manifests/000000000000002a.manifest";
        ObjectStore.Staged st = s.stage(key);
        st.output().write(noise(2, 5000));
        // kill -9: no publish, no close

        ObjectStore after = restarted();
        assertFalse(after.exists(key));
        assertEquals(List.of(), after.list("manifests/"), "the staged object is not listed");
        assertEquals(List.of(), after.list("m"));
        after.discardUnpublished();
        try (ObjectStore.Staged again = after.stage(key)) {
            again.output().write("whole".getBytes(StandardCharsets.UTF_8));
            again.publish();
        }
        assertEquals("whole", text(after, key), "nothing of the cut-off object mixes into a later one");
    }

    @Test
    void aLogIsCreatedWhenMissingAndAppendedAtItsEndAcrossRestarts() throws IOException {
        String key = "journal/catalog.journal";
        try (ObjectStore.Appender log = store().appendable(key)) {
            assertEquals(0, log.size());
            log.append(bytes("one\n"));
            log.force();
        }
        try (ObjectStore.Appender log = restarted().appendable(key)) {
            assertEquals(4, log.size());
            log.append(bytes("two\n"));
            log.force();
        }
        assertEquals("one\ntwo\n", text(restarted(), key));
    }

    @Test
    void keysThatCouldLeaveTheStoreAreRefused() throws IOException {
        ObjectStore s = store();
        for (String bad : List.of("", "/etc/passwd", "../outside", "packs/../../outside", "packs//x", "packs/")) {
            assertThrows(IllegalArgumentException.class, () -> s.create(bad, bytes("x")), "key '" + bad + "'");
            assertThrows(IllegalArgumentException.class, () -> s.open(bad), "key '" + bad + "'");
        }
    }
}
