package io.ckpt.store;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.UUID;
import java.io.StringReader;
import java.io.StringWriter;

/**
 * A datastore directory: created on first use, checked on every open.
 *
 * <pre>
 * DATASTORE/
 *   ckpt-datastore      format marker: format version and datastore id (key=value lines)
 *   catalog.db          SQLite catalog (unless --catalog puts it elsewhere)
 *   packs/xx/*.pack     chunk records
 *   manifests/*.manifest  one per complete checkpoint
 *   locks/server.lock   held by the running server
 *   tmp/                half-written files; emptied at start
 * </pre>
 */
public final class Datastore {
    public static final String MARKER = "ckpt-datastore";
    public static final int FORMAT_VERSION = 1;

    /** The key of the catalog journal in {@link #objects()}. */
    public static final String JOURNAL_KEY = "journal/" + Journal.FILE;
    /** The prefix of every manifest's key; {@link #manifestKey} names one. */
    public static final String MANIFESTS = "manifests/";

    private final Path root;
    private final String id;
    private final ObjectStore objects;
    private Journal journal;

    private Datastore(Path root, String id) {
        this.root = root;
        this.id = id;
        this.objects = new LocalObjectStore(root, root.resolve("tmp"));
    }

    /** Opens {@code root}, creating it when it does not exist or is an empty directory. */
    public static Datastore openOrCreate(Path root) throws IOException {
        root = root.toAbsolutePath().normalize();
        Path marker = root.resolve(MARKER);
        if (!Files.exists(marker)) {
            if (Files.isDirectory(root)) {
                try (var entries = Files.list(root)) {
                    // A lone catalog (given by --catalog) or a marker half-written by a crash is not data.
                    if (entries.anyMatch(p -> !p.getFileName().toString().startsWith("catalog.db")
                            && !p.getFileName().toString().equals(MARKER + ".tmp"))) {
                        throw new StoreException.Incompatible(root + " is not empty and has no " + MARKER
                                + " file: not a ckpt datastore; give an empty or new directory");
                    }
                }
            }
            Files.createDirectories(root);
            Properties p = new Properties();
            p.setProperty("format", Integer.toString(FORMAT_VERSION));
            p.setProperty("id", UUID.randomUUID().toString());
            p.setProperty("created", Instant.now().toString());
            StringWriter w = new StringWriter();
            p.store(w, "ckpt datastore: do not edit");
            writeAtomically(marker, w.toString().getBytes(StandardCharsets.UTF_8));
        }
        Datastore ds = readMarker(root, marker);
        for (String dir : new String[] {"packs", "manifests", "locks", "tmp", "journal"}) {
            Files.createDirectories(root.resolve(dir));
        }
        return ds;
    }

    /**
     * Opens an existing datastore for reading only: checks its marker and creates, changes or
     * locks nothing (an emergency restore beside a server that is down or hung). A directory
     * without a marker is refused.
     */
    public static Datastore openReadOnly(Path root) throws IOException {
        root = root.toAbsolutePath().normalize();
        Path marker = root.resolve(MARKER);
        if (!Files.isDirectory(root)) {
            throw new StoreException.Incompatible("no datastore at " + root + ": no such directory");
        }
        if (!Files.exists(marker)) {
            throw new StoreException.Incompatible(root + " has no " + MARKER + " file: not a ckpt datastore");
        }
        return readMarker(root, marker);
    }

    private static Datastore readMarker(Path root, Path marker) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(marker, StandardCharsets.UTF_8)));
        int format;
        try {
            format = Integer.parseInt(p.getProperty("format", ""));
        } catch (NumberFormatException e) {
            throw new StoreException.Incompatible(marker + " is damaged: no format version");
        }
        if (format > FORMAT_VERSION) {
            throw new StoreException.Incompatible("datastore " + root + " has format version " + format
                    + ", this ckpt reads up to " + FORMAT_VERSION + ": upgrade ckpt");
        }
        String id = p.getProperty("id");
        if (id == null || id.isBlank()) {
            throw new StoreException.Incompatible(marker + " is damaged: no datastore id");
        }
        return new Datastore(root, id);
    }

    public Path root() {
        return root;
    }

    public String id() {
        return id;
    }

    /**
     * Packs, manifests and the journal, as objects (see {@link ObjectStore} for what each write
     * guarantees). The marker, the lock, the catalog and the audit log are files of the directory.
     */
    public ObjectStore objects() {
        return objects;
    }

    /** The key of pack {@code packId}: {@code packs/<last two hex digits>/<16 hex digits>.pack}. */
    public static String packKey(long packId) {
        return PackFormat.relativePath(packId);
    }

    /** The key of checkpoint {@code checkpointId}'s manifest. */
    public static String manifestKey(long checkpointId) {
        return String.format(MANIFESTS + "%016x.manifest", checkpointId);
    }

    /**
     * The checkpoint id a manifest key names, or empty for any other key (those under
     * manifests/left-out/ and manifests/uncommitted/ included: rebuild-catalog's, never the server's).
     */
    public static OptionalLong manifestCheckpointId(String key) {
        if (!key.matches("manifests/[0-9a-f]{16}\\.manifest")) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseUnsignedLong(key.substring(MANIFESTS.length(), MANIFESTS.length() + 16), 16));
    }

    public Path tmpDir() {
        return root.resolve("tmp");
    }

    public Path packPath(long packId) {
        return root.resolve(packKey(packId));
    }

    public Path manifestsDir() {
        return root.resolve("manifests");
    }

    public Path manifestPath(long checkpointId) {
        return root.resolve(manifestKey(checkpointId));
    }

    /** The journal of catalog changes made after manifests were written (see {@link Journal}). */
    public synchronized Journal journal() {
        if (journal == null) {
            journal = new Journal(objects, JOURNAL_KEY);
        }
        return journal;
    }

    public Path journalPath() {
        return root.resolve("journal").resolve(Journal.FILE);
    }

    /** Whether any pack file exists: a catalog that knows no packs must not be used with such a datastore. */
    public boolean hasPacks() throws IOException {
        try (var walk = Files.walk(root.resolve("packs"))) {
            return walk.anyMatch(p -> p.getFileName().toString().endsWith(".pack"));
        }
    }

    /** Takes the datastore's lock, or fails naming the server that holds it. */
    public DatastoreLock lock() throws IOException {
        return DatastoreLock.acquire(root.resolve("locks").resolve("server.lock"), holderDescription());
    }

    private static String holderDescription() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown-host";
        }
        return "pid " + ProcessHandle.current().pid() + " on " + host + " since " + Instant.now();
    }

    /** Writes {@code data} to {@code target} via a temporary name: fsync, rename, fsync the directory. */
    public static void writeAtomically(Path target, byte[] data) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(data));
            ch.force(true);
        }
        moveDurably(tmp, target);
    }

    /** Renames {@code from} to {@code to} atomically and fsyncs the target's directory. */
    public static void moveDurably(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(to.getParent());
    }

    /**
     * Creates {@code dir} (and missing parents) and fsyncs its parent, so that the new directory's
     * entry survives a power loss along with the files later made durable inside it. The parent is
     * fsynced even when the directory already existed: an earlier process may have created it and
     * died before anything made its entry durable.
     */
    public static void createDirectoryDurably(Path dir) throws IOException {
        Files.createDirectories(dir);
        fsyncDirectory(dir.getParent());
    }

    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open directories for fsync; the rename is still atomic.
        }
    }
}
