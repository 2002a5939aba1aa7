package io.ckpt.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A datastore directory: laid out and marked on first open, checked on every open, held by one server. */
final class DatastoreTest {
    @TempDir
    Path dir;

    private Properties marker(Path root) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(root.resolve(Datastore.MARKER))));
        return p;
    }

    @Test
    void firstOpenCreatesTheLayoutAndTheMarker() throws IOException {
        Path root = dir.resolve("new/ds");
        Datastore ds = Datastore.openOrCreate(root);

        assertEquals(root.toAbsolutePath(), ds.root());
        for (String d : new String[] {"packs", "manifests", "locks", "tmp"}) {
            assertTrue(Files.isDirectory(root.resolve(d)), d);
        }
        Properties p = marker(root);
        assertEquals("1", p.getProperty("format"));
        assertEquals(ds.id(), p.getProperty("id"));
        assertEquals(36, ds.id().length(), "a UUID");
        assertFalse(Files.exists(root.resolve(Datastore.MARKER + ".tmp")), "the marker was renamed into place");
    }

    @Test
    void readOnlyOpenCreatesNothingAndRefusesADirectoryWithoutMarker() throws IOException {
        Path root = dir.resolve("ds");
        String id = Datastore.openOrCreate(root).id();
        for (String sub : new String[] {"tmp", "locks", "journal"}) {
            Files.delete(root.resolve(sub));
        }
        assertEquals(id, Datastore.openReadOnly(root).id());
        assertFalse(Files.exists(root.resolve("tmp")), "no directory recreated");

        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertTrue(assertThrows(StoreException.Incompatible.class, () -> Datastore.openReadOnly(empty))
                .getMessage().contains("not a ckpt datastore"));
        assertFalse(Files.exists(empty.resolve(Datastore.MARKER)), "not made a datastore");
        assertThrows(StoreException.Incompatible.class, () -> Datastore.openReadOnly(dir.resolve("missing")));
        assertFalse(Files.exists(dir.resolve("missing")));
    }

    @Test
    void emptyExistingDirectoryBecomesADatastore() throws IOException {
        Datastore ds = Datastore.openOrCreate(dir);
        assertTrue(Files.exists(dir.resolve(Datastore.MARKER)));
        assertEquals(ds.id(), marker(dir).getProperty("id"));
    }

    @Test
    void directoryHoldingOnlyACatalogBecomesADatastore() throws IOException {
        Files.writeString(dir.resolve("catalog.db"), "");
        Datastore.openOrCreate(dir);
        assertTrue(Files.exists(dir.resolve(Datastore.MARKER)));
    }

    @Test
    void reopeningKeepsTheId() throws IOException {
        String id = Datastore.openOrCreate(dir).id();
        assertEquals(id, Datastore.openOrCreate(dir).id());
        assertEquals(id, Datastore.openOrCreate(dir.resolve(".").resolve("x/..")).id());
    }

    @Test
    void reopeningRecreatesMissingSubdirectories() throws IOException {
        Datastore ds = Datastore.openOrCreate(dir);
        Files.delete(ds.tmpDir());
        Datastore.openOrCreate(dir);
        assertTrue(Files.isDirectory(ds.tmpDir()));
    }

    @Test
    void nonEmptyDirectoryWithoutMarkerIsRefused() throws IOException {
        Files.writeString(dir.resolve("precious.txt"), "not ours");
        StoreException.Incompatible e = assertThrows(StoreException.Incompatible.class, () -> Datastore.openOrCreate(dir));
        assertTrue(e.getMessage().contains("not a ckpt datastore"), e.getMessage());
        assertFalse(Files.exists(dir.resolve(Datastore.MARKER)), "nothing was written");
        assertFalse(Files.exists(dir.resolve("packs")));
    }

    @Test
    void newerFormatIsRefusedAskingForAnUpgrade() throws IOException {
        Files.writeString(dir.resolve(Datastore.MARKER), "format=99\nid=0b7a2f2e-0000-4000-8000-000000000000\n");
        StoreException.Incompatible e = assertThrows(StoreException.Incompatible.class, () -> Datastore.openOrCreate(dir));
        assertTrue(e.getMessage().contains("format version 99"), e.getMessage());
        assertTrue(e.getMessage().contains("upgrade"), e.getMessage());
    }

    @Test
    void markerWithoutFormatOrIdIsRefusedAsDamaged() throws IOException {
        Files.writeString(dir.resolve(Datastore.MARKER), "id=x\n");
        assertTrue(assertThrows(StoreException.Incompatible.class, () -> Datastore.openOrCreate(dir))
                .getMessage().contains("damaged"));
        Files.writeString(dir.resolve(Datastore.MARKER), "format=1\n");
        assertTrue(assertThrows(StoreException.Incompatible.class, () -> Datastore.openOrCreate(dir))
                .getMessage().contains("no datastore id"));
    }

    @Test
    void secondLockIsRefusedNamingTheHolder() throws IOException {
        Datastore ds = Datastore.openOrCreate(dir);
        try (DatastoreLock held = ds.lock()) {
            StoreException.Locked e = assertThrows(StoreException.Locked.class, ds::lock);
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            assertTrue(e.getMessage().contains("in use by another ckpt server"), e.getMessage());
        }
    }

    @Test
    void lockCanBeTakenAgainAfterClose() throws IOException {
        Datastore ds = Datastore.openOrCreate(dir);
        ds.lock().close();
        try (DatastoreLock again = ds.lock()) {
            assertTrue(Files.readString(dir.resolve("locks/server.lock")).startsWith("pid "));
        }
        assertEquals("", Files.readString(dir.resolve("locks/server.lock")), "a released lock names nobody");
    }

    /** Run in a child JVM: tries to take the datastore's lock and prints what happened. */
    public static final class LockFromAnotherProcess {
        public static void main(String[] args) throws IOException {
            try (DatastoreLock lock = Datastore.openOrCreate(Path.of(args[0])).lock()) {
                System.out.print("acquired");
            } catch (StoreException.Locked e) {
                System.out.print("locked");
            }
        }
    }

    private static String lockFromAnotherProcess(Path root) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LockFromAnotherProcess.class.getName(), root.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void lockHeldByOneProcessIsRefusedToAnother() throws Exception {
        Datastore ds = Datastore.openOrCreate(dir);
        try (DatastoreLock held = ds.lock()) {
            assertEquals("locked", lockFromAnotherProcess(dir));
        }
        assertEquals("acquired", lockFromAnotherProcess(dir));
    }

    /**
     * POSIX record locks belong to the process, and closing any descriptor of the file drops them
     * all: the refused second attempt closes its channel and with it the first holder's lock, so
     * that another process can then take a datastore this one still uses.
     */
    @Test
    void refusedSecondLockInTheSameProcessKeepsTheFirstHeld() throws Exception {
        Datastore ds = Datastore.openOrCreate(dir);
        try (DatastoreLock held = ds.lock()) {
            assertThrows(StoreException.Locked.class, ds::lock);
            assertEquals("locked", lockFromAnotherProcess(dir), "the datastore is still held by this process");
        }
    }

    /**
     * A crash while the very first open writes the marker leaves only "ckpt-datastore.tmp": the
     * directory holds nothing of value and must still open as a new datastore, not be refused as
     * "not a ckpt datastore".
     */
    @Test
    void directoryHoldingOnlyAHalfWrittenMarkerBecomesADatastore() throws IOException {
        Files.writeString(dir.resolve(Datastore.MARKER + ".tmp"), "format=1\n");
        Datastore ds = Datastore.openOrCreate(dir);
        assertEquals(ds.id(), marker(dir).getProperty("id"));
    }

    @Test
    void writeAtomicallyReplacesTheTargetAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("f");
        Datastore.writeAtomically(target, "one".getBytes(StandardCharsets.UTF_8));
        Datastore.writeAtomically(target, "two".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("two".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(target));
        assertFalse(Files.exists(dir.resolve("f.tmp")));
    }

    @Test
    void pathsOfPacksAndManifestsAreFixed() throws IOException {
        Datastore ds = Datastore.openOrCreate(dir);
        assertEquals(ds.root().resolve("packs/ff/00000000000001ff.pack"), ds.packPath(0x1ff));
        assertEquals(ds.root().resolve("manifests/000000000000002a.manifest"), ds.manifestPath(42));
    }
}
