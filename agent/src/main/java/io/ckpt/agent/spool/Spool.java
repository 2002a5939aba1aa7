package io.ckpt.agent.spool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints waiting for upload, oldest first. An entry is built in a hidden staging directory
 * and appears under its final name (sequence number and WPAR) only when complete, with its
 * {@code meta.json} written last, so a crash of the agent never leaves a half entry that looks
 * whole. When the spool is over its limits, entries are dropped (see {@link #enforceLimits}), with a warning.
 *
 * <p>Removal is the mirror of creation: the entry is first renamed out of the spool to a
 * {@code .trash-} name (one atomic rename, then an fsync of the spool directory), and only then
 * deleted file by file. A kill -9 at any point therefore leaves the entry either whole under its
 * name or under a trash name that {@link #entries} never lists and the next start deletes; never a
 * partial entry that still reads as whole (issue 20, defect 2). An entry claimed for upload
 * ({@link #claim}) is never removed by the limits, and a removed entry can no longer be claimed:
 * both happen under this object's lock, so the uploader cannot pick an entry being removed.
 */
public final class Spool {
    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String META = "meta.json";
    private static final String STAGING = ".staging-";
    private static final String TRASH = ".trash-";

    private final Path dir;
    private final long maxBytes;
    private final int maxEntries;
    private final int maxPerWpar;
    private final java.util.function.Consumer<Dropped> onDrop;
    private long nextSeq;
    /** Entries being uploaded (by sequence): never dropped by the limits while they are on the wire. */
    private final java.util.Set<Long> uploading = new java.util.HashSet<>();

    /** An entry the limits dropped before it was uploaded; {@code protectedEntry}: a final or the WPAR's newest good one. */
    public record Dropped(String wpar, long takenAtMillis, String kind, String health, boolean protectedEntry, String reason) {}

    public Spool(Path dir, long maxBytes, int maxEntries) throws IOException {
        this(dir, maxBytes, maxEntries, maxEntries, d -> { });
    }

    /**
     * @param maxPerWpar most entries of one WPAR
     * @param onDrop hears every entry the limits drop (for {@code ckpt status})
     */
    public Spool(Path dir, long maxBytes, int maxEntries, int maxPerWpar, java.util.function.Consumer<Dropped> onDrop)
            throws IOException {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.maxEntries = maxEntries;
        this.maxPerWpar = maxPerWpar;
        this.onDrop = onDrop;
        Files.createDirectories(dir);
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(STAGING)
                    || p.getFileName().toString().startsWith(TRASH)).toList()) {
                deleteTree(p); // a half-built entry, or one whose removal a crash interrupted
            }
        }
        nextSeq = entries().stream().mapToLong(SpoolEntry::seq).max().orElse(0) + 1;
    }

    /** A place to build one entry; {@link Staging#commit} makes it visible, {@link Staging#discard} drops it. */
    public final class Staging {
        private final Path staging;
        private final String wpar;
        private final long seq;

        private Staging(Path staging, String wpar, long seq) {
            this.staging = staging;
            this.wpar = wpar;
            this.seq = seq;
        }

        /** Where the parts go: {@code state/...}, {@code fs/NAME...}. */
        public Path parts() {
            return staging.resolve("parts");
        }

        public SpoolEntry commit(long takenAtMillis, String kind, String health, String healthReason, List<String> labels)
                throws IOException {
            ObjectNode meta = JSON.createObjectNode()
                    .put("wpar", wpar).put("taken_at", takenAtMillis).put("kind", kind)
                    .put("key", UUID.randomUUID().toString()).put("health", health).put("health_reason", healthReason);
            labels.forEach(meta.putArray("labels")::add);
            syncTree(parts()); // the parts are durable before the entry claims to be whole
            Path metaFile = staging.resolve(META);
            try (FileChannel ch = FileChannel.open(metaFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(meta)));
                ch.force(true);
            }
            Path target = dir.resolve(String.format("%012d-%s", seq, wpar));
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(staging, target);
            }
            fsyncDirectory(dir);
            SpoolEntry entry = read(target).orElseThrow(() -> new IOException("spool entry " + target + " unreadable"));
            enforceLimits(entry);
            return entry;
        }

        public void discard() {
            try {
                deleteTree(staging);
            } catch (IOException e) {
                log.warn("could not remove spool staging {}: {}", staging, e.getMessage());
            }
        }
    }

    public synchronized Staging stage(String wpar) throws IOException {
        long seq = nextSeq++;
        Path staging = dir.resolve(String.format(STAGING + "%012d-%s", seq, wpar));
        Files.createDirectories(staging.resolve("parts"));
        return new Staging(staging, wpar, seq);
    }

    /** Every complete entry, oldest first. */
    public synchronized List<SpoolEntry> entries() throws IOException {
        List<SpoolEntry> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList()) { // not staging, not trash
                read(p).ifPresent(out::add);
            }
        }
        out.sort(Comparator.comparingLong(SpoolEntry::seq));
        return out;
    }

    public Optional<SpoolEntry> oldest() throws IOException {
        List<SpoolEntry> all = entries();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    /**
     * Claims {@code e} for upload: true if it is still in the spool and nobody else uploads it.
     * A claimed entry is not dropped by the limits until {@link #release}d.
     */
    public synchronized boolean claim(SpoolEntry e) {
        if (!Files.isRegularFile(e.dir().resolve(META)) || uploading.contains(e.seq())) {
            return false;
        }
        uploading.add(e.seq());
        return true;
    }

    public synchronized void release(SpoolEntry e) {
        uploading.remove(e.seq());
        notifyAll();
    }

    /** Waits until nobody uploads {@code e} (its claim is released). */
    public synchronized void awaitRelease(SpoolEntry e) throws InterruptedException {
        while (uploading.contains(e.seq())) {
            wait();
        }
    }

    /** Whether {@code e} is claimed for upload right now. */
    public synchronized boolean claimed(SpoolEntry e) {
        return uploading.contains(e.seq());
    }

    /**
     * Removes {@code e}: renamed out of the spool first (atomic, then the directory is fsynced), so
     * from that moment on it is gone for every reader and for a restart, then deleted.
     */
    public synchronized void remove(SpoolEntry e) throws IOException {
        Path trash = dir.resolve(TRASH + e.dir().getFileName());
        try {
            Files.move(e.dir(), trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.NoSuchFileException gone) {
            return; // removed already
        }
        fsyncDirectory(dir);
        deleteTree(trash);
    }

    /**
     * Drops entries until the spool is within its limits (issue 20, defect 4). A WPAR over its own
     * limit loses its own entries; over the total, the WPAR with the most entries loses one, so a
     * WPAR on a frequent schedule cannot push out the others. Within that, ordinary entries go
     * oldest first; a final checkpoint (the only copy of a stopped WPAR's last state) and each
     * WPAR's newest good entry go last, and with an ERROR. Never dropped: the entry just committed,
     * and an entry claimed for upload.
     */
    private synchronized void enforceLimits(SpoolEntry newest) throws IOException {
        List<SpoolEntry> all = new ArrayList<>(entries());
        while (true) {
            long bytes = all.stream().mapToLong(SpoolEntry::bytes).sum();
            java.util.Map<String, Integer> perWpar = new java.util.HashMap<>();
            all.forEach(e -> perWpar.merge(e.wpar(), 1, Integer::sum));
            String overWpar = perWpar.entrySet().stream().filter(x -> x.getValue() > maxPerWpar)
                    .map(java.util.Map.Entry::getKey).sorted().findFirst().orElse(null);
            boolean overTotal = all.size() > maxEntries || bytes > maxBytes;
            if (!overTotal && overWpar == null) {
                return;
            }
            java.util.Set<Long> kept = new java.util.HashSet<>();
            java.util.Map<String, SpoolEntry> newestGood = new java.util.HashMap<>();
            for (SpoolEntry e : all) {
                if ("final".equals(e.kind())) {
                    kept.add(e.seq());
                }
                if ("good".equals(e.health())) {
                    newestGood.put(e.wpar(), e); // oldest first: the last one put is the newest
                }
            }
            newestGood.values().forEach(e -> kept.add(e.seq()));
            List<SpoolEntry> droppable = all.stream().filter(e -> e.seq() != newest.seq() && !uploading.contains(e.seq())).toList();
            List<SpoolEntry> own = droppable.stream().filter(e -> overWpar == null || e.wpar().equals(overWpar)).toList();
            // A WPAR over its own limit with nothing droppable left: the total limit may still need a drop elsewhere.
            List<SpoolEntry> candidates = own.isEmpty() && overTotal ? droppable : own;
            List<SpoolEntry> ordinary = candidates.stream().filter(e -> !kept.contains(e.seq())).toList();
            List<SpoolEntry> pool = ordinary.isEmpty() ? candidates : ordinary;
            if (pool.isEmpty()) {
                return; // only the newest entry and entries on the wire are left
            }
            java.util.Map<String, Long> poolPerWpar = new java.util.HashMap<>();
            pool.forEach(e -> poolPerWpar.merge(e.wpar(), 1L, Long::sum));
            long most = java.util.Collections.max(poolPerWpar.values());
            SpoolEntry victim = pool.stream().filter(e -> poolPerWpar.get(e.wpar()) == most).findFirst().orElseThrow();
            boolean isKept = kept.contains(victim.seq());
            String why = overWpar != null && candidates == own
                    ? "WPAR " + overWpar + " has " + perWpar.get(overWpar) + " spooled checkpoints, limit " + maxPerWpar
                    : "spool full (" + all.size() + " checkpoints, " + bytes + " bytes; limits " + maxEntries + " and " + maxBytes + ")";
            String what = ("final".equals(victim.kind()) ? "its FINAL checkpoint" : isKept ? "its newest GOOD checkpoint"
                    : "the oldest") + ", WPAR " + victim.wpar() + " taken at " + java.time.Instant.ofEpochMilli(victim.takenAtMillis());
            if (isKept) {
                log.error("{}: dropping {} (nothing else is left to drop); it will never reach the server", why, what);
            } else {
                log.warn("{}: dropping {}", why, what);
            }
            remove(victim);
            all.remove(victim);
            onDrop.accept(new Dropped(victim.wpar(), victim.takenAtMillis(), victim.kind(), victim.health(), isKept, why));
        }
    }

    private static Optional<SpoolEntry> read(Path entryDir) throws IOException {
        Path meta = entryDir.resolve(META);
        if (!Files.isRegularFile(meta)) {
            return Optional.empty();
        }
        String name = entryDir.getFileName().toString();
        int dash = name.indexOf('-');
        if (dash < 1) {
            return Optional.empty();
        }
        JsonNode m = JSON.readTree(meta.toFile());
        List<String> labels = new ArrayList<>();
        m.path("labels").forEach(l -> labels.add(l.asText()));
        long bytes;
        // The entry's own files: a symbolic link is not followed (its target may be anything,
        // anywhere), so links cannot make the spool look full (issue 18, bug 2).
        try (Stream<Path> walk = Files.walk(entryDir)) {
            long sum = 0;
            for (Path p : (Iterable<Path>) walk::iterator) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                sum += a.isRegularFile() ? a.size() : 0; // the Path itself: its bytes, whatever the locale
            }
            bytes = sum;
        }
        return Optional.of(new SpoolEntry(entryDir, Long.parseLong(name.substring(0, dash)), m.path("wpar").asText(),
                m.path("taken_at").asLong(), m.path("kind").asText(), m.path("key").asText(), m.path("health").asText(),
                m.path("health_reason").asText(), labels, bytes));
    }

    private static void syncTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    } catch (java.nio.file.AccessDeniedException e) {
                        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                            ch.force(true); // a read-only copy (Linux fsyncs through any descriptor)
                        }
                    }
                } else if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    fsyncDirectory(p);
                }
            }
        }
    }

    private static void fsyncDirectory(Path d) {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // not every file system lets a directory be fsynced; the rename is still atomic
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
