package io.ckpt.bench.corpus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Deterministic stand-ins for successive file-system images of one WPAR: a directory tree of
 * configuration files, text, shared libraries, archives, data files and one log, which
 * {@link TarWriter} turns into the tar the agent captures beside the memory image.
 *
 * <p>A next tree patches a few files (a line inserted into a text file, so the rest of it moves;
 * a few small writes into a binary one), replaces a few whole, adds a few and appends to the log,
 * and gives each changed file a new modification time. {@link Tree#fresh()} holds the bytes that
 * are new against the previous tree, so that a benchmark can say what an incremental copy has to
 * store at least. The same seed and generation always give the same tree.
 */
public final class FileTreeCorpus {
    static final String LOG = "var/log/app/server.log";
    private static final long EPOCH = 1_795_000_000L; // 2026-11-17, seconds
    private static final String[] WORDS = {
        "listen", "port", "8080", "timeout", "30s", "user", "app", "group", "include", "/etc/app/conf.d",
        "retry", "enabled", "true", "false", "level", "INFO", "WARN", "ERROR", "request", "GET", "POST",
        "/api/v1/orders", "200", "404", "ms", "session", "opened", "closed", "for", "client", "10.4.2.17",
        "the", "of", "and", "to", "a", "in", "is", "that", "it", "with", "as", "on", "be", "payroll", "batch"};

    /** What a file holds; decides its name, size and how it compresses. */
    enum Kind {
        CONFIG("etc/app/conf.d/", ".conf", 512, 8 << 10, 30),
        TEXT("usr/share/app/doc/", ".txt", 4 << 10, 128 << 10, 20),
        LIBRARY("usr/lib/app/", ".so", 64 << 10, 2 << 20, 25),
        ARCHIVE("opt/app/lib/", ".jar", 256 << 10, 4 << 20, 15),
        DATA("var/lib/app/", ".db", 1 << 20, 8 << 20, 10);

        final String dir;
        final String suffix;
        final int minSize;
        final int maxSize;
        final int weight;

        Kind(String dir, String suffix, int minSize, int maxSize, int weight) {
            this.dir = dir;
            this.suffix = suffix;
            this.minSize = minSize;
            this.maxSize = maxSize;
            this.weight = weight;
        }

        boolean text() {
            return this == CONFIG || this == TEXT;
        }

        static Kind pick(SplittableRandom random) {
            int p = random.nextInt(100);
            for (Kind k : values()) {
                if ((p -= k.weight) < 0) {
                    return k;
                }
            }
            return DATA;
        }
    }

    /** One regular file: path relative to the tree's root, permission bits, mtime in seconds. */
    public record File(String path, Kind kind, int mode, long mtime, byte[] content) {}

    /** One version of the tree, files by path, and the bytes new against the previous version. */
    public record Tree(TreeMap<String, File> files, List<byte[]> fresh) {
        public long bytes() {
            return files.values().stream().mapToLong(f -> f.content().length).sum();
        }
    }

    /**
     * How a next tree differs: fractions of the files patched, replaced and added (at least one
     * each), and how many bytes the log grows by.
     */
    public record Change(double patched, double replaced, double added, int logBytes) {}

    private final long seed;

    public FileTreeCorpus(long seed) {
        this.seed = seed;
    }

    /** A first tree of about {@code bytes} bytes of file content. */
    public Tree first(long bytes) {
        SplittableRandom random = new SplittableRandom(seed);
        TreeMap<String, File> files = new TreeMap<>();
        int logSize = (int) Math.min(1 << 20, Math.max(4096, bytes / 64));
        files.put(LOG, new File(LOG, Kind.TEXT, 0640, EPOCH, logLines(random.split(), logSize)));
        long total = logSize;
        for (int i = 0; total < bytes; i++) {
            File f = newFile(random.split(), Kind.pick(random), Integer.toString(i), EPOCH, bytes - total);
            files.put(f.path(), f);
            total += f.content().length;
        }
        return new Tree(files, new ArrayList<>(files.values().stream().map(File::content).toList()));
    }

    /** The tree after {@code prev}; {@code generation} (1 and up) picks what changes. */
    public Tree next(Tree prev, int generation, Change change) {
        SplittableRandom random = new SplittableRandom(seed * 31 + generation);
        long mtime = EPOCH + 3600L * generation;
        TreeMap<String, File> files = new TreeMap<>(prev.files());
        List<byte[]> fresh = new ArrayList<>();
        List<String> paths = new ArrayList<>(files.keySet());
        paths.remove(LOG);

        for (int n = atLeastOne(change.patched(), paths.size()); n > 0 && !paths.isEmpty(); n--) {
            File f = files.get(paths.remove(random.nextInt(paths.size())));
            files.put(f.path(), patch(f, random.split(), mtime, fresh));
        }
        for (int n = atLeastOne(change.replaced(), paths.size()); n > 0 && !paths.isEmpty(); n--) {
            File f = files.get(paths.remove(random.nextInt(paths.size())));
            int size = (int) (f.content().length * (0.9 + 0.2 * random.nextDouble()));
            byte[] content = fill(f.kind(), random.split(), Math.max(1, size));
            files.put(f.path(), new File(f.path(), f.kind(), f.mode(), mtime, content));
            fresh.add(content);
        }
        for (int n = atLeastOne(change.added(), files.size()); n > 0; n--) {
            File f = newFile(random.split(), Kind.pick(random), "g" + generation + "-" + n, mtime, Long.MAX_VALUE);
            files.put(f.path(), f);
            fresh.add(f.content());
        }
        File log = files.get(LOG);
        byte[] appended = logLines(random.split(), change.logBytes());
        byte[] grown = new byte[log.content().length + appended.length];
        System.arraycopy(log.content(), 0, grown, 0, log.content().length);
        System.arraycopy(appended, 0, grown, log.content().length, appended.length);
        files.put(LOG, new File(LOG, log.kind(), log.mode(), mtime, grown));
        fresh.add(appended);
        return new Tree(files, fresh);
    }

    private static int atLeastOne(double fraction, int of) {
        return (int) Math.max(1, Math.round(fraction * of));
    }

    private static File newFile(SplittableRandom random, Kind kind, String id, long mtime, long room) {
        int size = kind.minSize + random.nextInt(kind.maxSize - kind.minSize + 1);
        size = (int) Math.max(1, Math.min(size, room));
        String path = kind.dir + (kind == Kind.LIBRARY ? "lib" : "") + "f" + id + kind.suffix;
        int mode = kind == Kind.LIBRARY ? 0755 : 0644;
        return new File(path, kind, mode, mtime, fill(kind, random, size));
    }

    /** A text file gets a line inserted (the rest moves); any other file one to eight small writes. */
    private static File patch(File f, SplittableRandom random, long mtime, List<byte[]> fresh) {
        byte[] old = f.content();
        byte[] content;
        if (f.kind().text()) {
            byte[] line = (words(random, 4 + random.nextInt(8)) + "\n").getBytes(StandardCharsets.US_ASCII);
            int at = random.nextInt(old.length + 1);
            content = new byte[old.length + line.length];
            System.arraycopy(old, 0, content, 0, at);
            System.arraycopy(line, 0, content, at, line.length);
            System.arraycopy(old, at, content, at + line.length, old.length - at);
            fresh.add(line);
        } else {
            content = old.clone();
            for (int writes = 1 + random.nextInt(8); writes > 0; writes--) {
                int len = Math.min(content.length, 8 + random.nextInt(249));
                int at = random.nextInt(content.length - len + 1);
                byte[] patch = new byte[len];
                random.nextBytes(patch);
                System.arraycopy(patch, 0, content, at, len);
                fresh.add(patch);
            }
        }
        return new File(f.path(), f.kind(), f.mode(), mtime, content);
    }

    /**
     * Contents by kind: text is words and numbers; archives are random (already compressed);
     * libraries and data files are 4 KiB blocks, some random and some of structured records.
     */
    static byte[] fill(Kind kind, SplittableRandom random, int size) {
        byte[] b = new byte[size];
        switch (kind) {
            case CONFIG, TEXT -> {
                byte[] text = logLines(random, size);
                System.arraycopy(text, 0, b, 0, size);
            }
            case ARCHIVE -> random.nextBytes(b);
            case LIBRARY, DATA -> {
                int randomShare = kind == Kind.LIBRARY ? 4 : 3; // of 10 blocks
                for (int off = 0; off < size; off += 4096) {
                    int end = Math.min(size, off + 4096);
                    if (random.nextInt(10) < randomShare) {
                        for (int i = off; i < end; i++) {
                            b[i] = (byte) random.nextInt(256);
                        }
                    } else {
                        long base = random.nextLong() & 0x0000_7fff_ffff_f000L;
                        for (int i = off; i + 8 <= end; i += 8) {
                            long v = random.nextInt(4) == 0 ? base + 8L * random.nextInt(512) : random.nextInt(64);
                            for (int k = 0; k < 8; k++) {
                                b[i + k] = (byte) (v >>> (8 * k));
                            }
                        }
                    }
                }
            }
        }
        return b;
    }

    /** At least {@code size} bytes of lines of words and numbers, cut to {@code size}. */
    private static byte[] logLines(SplittableRandom random, int size) {
        StringBuilder s = new StringBuilder(size + 128);
        while (s.length() < size) {
            s.append("2026-11-17T").append(10 + random.nextInt(10)).append(':').append(10 + random.nextInt(50))
                    .append(':').append(10 + random.nextInt(50)).append('.').append(random.nextInt(1000))
                    .append("Z ").append(words(random, 3 + random.nextInt(10))).append(' ')
                    .append(random.nextInt(100_000)).append('\n');
        }
        s.setLength(size);
        return s.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static String words(SplittableRandom random, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return s.toString();
    }
}
