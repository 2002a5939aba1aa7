import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A toy WPAR: a process whose state lives in memory (a counter and a buffer it changes every
 * tick) and in a data directory it appends to, and which can dump its memory to a statefile
 * directory and start again from one. The fake chkptwpar/restartwpar in bin/ drive it through
 * its control directory; see README.md for the commands, files and exit codes.
 *
 * <p>Run in source-file mode, JDK classes only: {@code java contrib/toywpar/ToyWpar.java ...}.
 */
public final class ToyWpar {

    static final int EXIT_OK = 0;
    static final int EXIT_NOT_RUNNING = 1; // status: not running
    static final int EXIT_UNHEALTHY = 2;   // status: running but unhealthy
    static final int EXIT_DAMAGED = 3;     // start --from, inspect: statefile damaged or incomplete
    static final int EXIT_FAILED = 4;      // start: already running, or the WPAR broke (I/O error)
    static final int EXIT_USAGE = 64;

    static final String USAGE = """
            usage: java ToyWpar.java start --name NAME --root DIR [--from STATEDIR] [--paused]
                                           [--tick-ms N] [--buffer-bytes N]
                   java ToyWpar.java status --root DIR
                   java ToyWpar.java inspect STATEDIR
            """;

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (UsageException e) {
            System.err.println("toywpar: " + e.getMessage());
            System.err.print(USAGE);
            code = EXIT_USAGE;
        } catch (DamagedStateException e) {
            System.err.println("toywpar: damaged statefile: " + e.getMessage());
            code = EXIT_DAMAGED;
        } catch (Exception e) {
            System.err.println("toywpar: " + e);
            code = EXIT_FAILED;
        }
        // A toy stopped by SIGTERM returns 0 from here inside the shutdown sequence, where
        // System.exit would block forever; so only non-zero codes go through System.exit.
        if (code != EXIT_OK) {
            System.exit(code);
        }
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0) {
            throw new UsageException("no command");
        }
        switch (args[0]) {
            case "start" -> {
                Map<String, String> o = options(args, Set.of("--name", "--root", "--from", "--tick-ms",
                        "--buffer-bytes"), Set.of("--paused"));
                String name = required(o, "--name");
                Path root = Path.of(required(o, "--root")).toAbsolutePath();
                long tickMs = positive(o.getOrDefault("--tick-ms", "100"), "--tick-ms");
                Path from = o.containsKey("--from") ? Path.of(o.get("--from")).toAbsolutePath() : null;
                if (from != null && o.containsKey("--buffer-bytes")) {
                    throw new UsageException("--buffer-bytes applies to a fresh start only; --from brings its own buffer");
                }
                long bufferBytes = positive(o.getOrDefault("--buffer-bytes", "1048576"), "--buffer-bytes");
                if (bufferBytes > 256L << 20) {
                    throw new UsageException("--buffer-bytes must be at most 256 MiB, got " + bufferBytes);
                }
                return Toy.open(name, root, from, o.containsKey("--paused"), tickMs, (int) bufferBytes).run();
            }
            case "status" -> {
                Map<String, String> o = options(args, Set.of("--root"), Set.of());
                return status(Path.of(required(o, "--root")).toAbsolutePath());
            }
            case "inspect" -> {
                if (args.length != 2) {
                    throw new UsageException("inspect takes exactly one STATEDIR");
                }
                Path dir = Path.of(args[1]).toAbsolutePath();
                StateDir.Loaded s = StateDir.load(dir);
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("statedir", dir.toString());
                out.put("name", s.name());
                out.put("format_version", (long) MemoryImageFormat.VERSION);
                out.put("counter", s.counter());
                out.put("buffer_bytes", (long) s.buffer().length);
                out.put("memory_sha256", s.memorySha256());
                out.put("created_at", s.createdAt());
                System.out.println(Json.write(out));
                return EXIT_OK;
            }
            default -> throw new UsageException("unknown command: " + args[0]);
        }
    }

    /** status --root DIR: reads what the running toy publishes; 0 running and healthy, 1 not running, 2 unhealthy. */
    static int status(Path root) throws IOException {
        Path run = root.resolve("run");
        Map<String, String> state = Files.exists(run.resolve("state.json"))
                ? Json.readFlat(Files.readString(run.resolve("state.json"))) : new LinkedHashMap<>();
        long pid = readPid(run.resolve("pid"));
        boolean alive = pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        String published = state.getOrDefault("state", "null");
        if (!alive || !(published.equals("\"running\"") || published.equals("\"paused\""))) {
            Map<String, String> out = new LinkedHashMap<>();
            out.put("name", state.getOrDefault("name", Json.quote(root.getFileName().toString())));
            out.put("pid", "null");
            out.put("state", Json.quote(alive ? "starting" : "stopped"));
            out.put("counter", state.getOrDefault("counter", "null"));
            System.out.println(Json.writeRaw(out));
            return EXIT_NOT_RUNNING;
        }
        // The toy notices ROOT/unhealthy within one poll; checking the file here too makes
        // "create the file, then ask" deterministic for tests.
        boolean healthy = "true".equals(state.get("healthy")) && !Files.exists(root.resolve("unhealthy"));
        state.put("healthy", Boolean.toString(healthy));
        System.out.println(Json.writeRaw(state));
        return healthy ? EXIT_OK : EXIT_UNHEALTHY;
    }

    static long readPid(Path pidFile) throws IOException {
        try {
            return Long.parseLong(Files.readString(pidFile).trim());
        } catch (NoSuchFileException | NumberFormatException e) {
            return -1;
        }
    }

    static Map<String, String> options(String[] args, Set<String> valued, Set<String> flags) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (flags.contains(args[i])) {
                out.put(args[i], "true");
            } else if (valued.contains(args[i]) && i + 1 < args.length) {
                out.put(args[i], args[++i]);
            } else {
                throw new UsageException("unexpected argument for " + args[0] + ": " + args[i]);
            }
        }
        return out;
    }

    static String required(Map<String, String> o, String key) {
        String v = o.get(key);
        if (v == null || v.isEmpty()) {
            throw new UsageException(key + " is required");
        }
        return v;
    }

    static long positive(String v, String key) {
        try {
            long n = Long.parseLong(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the usage error, which names the option and value
        }
        throw new UsageException(key + " must be a positive integer, got '" + v + "'");
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    /** Write to a temp name, fsync, rename over the target. */
    static void writeDurably(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Replace a small file atomically without fsync: run/ files are rewritten every tick and die with the toy. */
    static void replace(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory for fsync. The renames still follow each
            // file's own fsync, so a crash leaves old or new files, never torn ones.
            System.err.println("toywpar: note: cannot fsync directory " + dir + ": " + e);
        }
    }

    /** The running WPAR: one thread that ticks, polls its control directory, and publishes its state. */
    static final class Toy {
        static final long POLL_MS = 50;
        static final int BYTES_PER_TICK = 8;
        static final long SEED = 0x70795750_4152L;
        static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");

        final String name;
        final Path root;
        final Path run;
        final Path ctl;
        final long tickNanos;
        final byte[] buffer;
        final Map<String, Object> origin = new LinkedHashMap<>(); // how this incarnation started; constant
        long counter;
        boolean paused;
        boolean healthy;
        long ticksSinceStart;
        FileChannel journal;
        volatile boolean signalled;
        boolean stopped;

        private Toy(String name, Path root, long tickMs, long counter, byte[] buffer, boolean paused) {
            this.name = name;
            this.root = root;
            this.run = root.resolve("run");
            this.ctl = run.resolve("ctl");
            this.tickNanos = tickMs * 1_000_000L;
            this.counter = counter;
            this.buffer = buffer;
            this.paused = paused;
        }

        static Toy open(String name, Path root, Path from, boolean paused, long tickMs, int bufferBytes)
                throws IOException {
            Toy toy;
            if (from == null) {
                byte[] buffer = new byte[bufferBytes];
                new Random(SEED).nextBytes(buffer);
                toy = new Toy(name, root, tickMs, 0, buffer, paused);
            } else {
                // Memory comes only from the statefile; the journal is whatever the file system holds.
                StateDir.Loaded s = StateDir.load(from);
                toy = new Toy(name, root, tickMs, s.counter(), s.buffer(), paused);
                toy.origin.put("restored_from", from.toString());
                toy.origin.put("restored_from_name", s.name());
                toy.origin.put("restored_from_counter", s.counter());
                toy.origin.put("restored_memory_sha256", s.memorySha256());
            }
            Path journalFile = root.resolve("data").resolve("journal.log");
            Files.createDirectories(journalFile.getParent());
            // Read for the report only (did the file-system part match the memory image?).
            toy.origin.put("journal_last_at_start", lastLine(journalFile));
            toy.origin.put("started_at", Instant.now().toString());
            toy.origin.put("tick_ms", tickMs);
            return toy;
        }

        int run() throws IOException, InterruptedException {
            Files.createDirectories(ctl);
            long other = readPid(run.resolve("pid"));
            if (other > 0 && other != ProcessHandle.current().pid()
                    && ProcessHandle.of(other).map(ProcessHandle::isAlive).orElse(false)) {
                System.err.println("toywpar: WPAR " + name + " is already running as pid " + other + " under " + root);
                return EXIT_FAILED;
            }
            try (var stale = Files.list(ctl)) {  // requests addressed to an earlier incarnation
                for (Path p : (Iterable<Path>) stale::iterator) {
                    Files.deleteIfExists(p);
                }
            }
            journal = FileChannel.open(root.resolve("data").resolve("journal.log"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            Thread main = Thread.currentThread();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                signalled = true;
                try {
                    main.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "toywpar-stop"));
            replace(run.resolve("pid"), ProcessHandle.current().pid() + "\n");
            healthy = !Files.exists(root.resolve("unhealthy"));
            publish();
            System.err.println("toywpar: WPAR " + name + " " + state() + " at counter " + counter + " " + origin);
            try {
                loop();
            } catch (IOException e) {
                System.err.println("toywpar: WPAR " + name + " broken at counter " + counter + ": " + e);
                try {
                    stop("broken");
                } catch (IOException again) {
                    e.addSuppressed(again);
                }
                return EXIT_FAILED;
            }
            stop("stopped");
            System.err.println("toywpar: WPAR " + name + " stopped at counter " + counter);
            return EXIT_OK;
        }

        private void loop() throws IOException, InterruptedException {
            long nextTick = System.nanoTime() + tickNanos;
            while (!signalled && !stopped) {
                boolean wasPaused = paused;
                pollControl();
                if (stopped) {
                    return;
                }
                boolean h = !Files.exists(root.resolve("unhealthy"));
                if (h != healthy) {
                    healthy = h;
                    publish();
                }
                long now = System.nanoTime();
                if (wasPaused && !paused) {
                    nextTick = now + tickNanos;
                }
                if (!paused && now - nextTick >= 0) {
                    tick();
                    nextTick = Math.max(nextTick + tickNanos, now); // fall behind rather than burst
                }
                long sleepMs = paused ? POLL_MS : Math.min(POLL_MS, (nextTick - System.nanoTime()) / 1_000_000L);
                Thread.sleep(Math.max(1, sleepMs));
            }
        }

        private void tick() throws IOException {
            counter++;
            long h = counter * 0x9E3779B97F4A7C15L;
            for (int i = 0; i < BYTES_PER_TICK; i++) {
                h = mix(h + i);
                int pos = (int) Long.remainderUnsigned(h, buffer.length);
                buffer[pos] = (byte) (buffer[pos] * 31 + (h >>> 56)); // new bytes depend on the old ones
            }
            ByteBuffer line = ByteBuffer.wrap((counter + "\n").getBytes(StandardCharsets.US_ASCII));
            while (line.hasRemaining()) {
                journal.write(line);
            }
            ticksSinceStart++;
            publish();
        }

        static long mix(long z) { // SplitMix64 finaliser
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        private void pollControl() throws IOException {
            Path req = ctl.resolve("checkpoint");
            if (Files.exists(req)) {
                Map<String, String> r = keyValues(Files.readString(req));
                Files.deleteIfExists(req);
                checkpoint(r);
            }
            if (Files.deleteIfExists(ctl.resolve("resume")) && paused) {
                paused = false;
                publish();
            }
            if (Files.deleteIfExists(ctl.resolve("stop"))) {
                stopped = true;
            }
        }

        /** Runs between two ticks, so memory.img and the journal agree; answers in ctl/done.ID. */
        private void checkpoint(Map<String, String> r) throws IOException {
            String id = r.getOrDefault("id", "");
            String mode = r.getOrDefault("mode", "resume");
            String statedir = r.getOrDefault("statedir", "");
            if (!REQUEST_ID.matcher(id).matches()) {
                System.err.println("toywpar: ignoring checkpoint request with bad id '" + id + "'");
                return;
            }
            String error = null;
            if (!Set.of("resume", "pause", "kill").contains(mode)) {
                error = "unknown mode '" + mode + "' (resume, pause or kill)";
            } else if (statedir.isEmpty() || !Path.of(statedir).isAbsolute()) {
                error = "statedir must be an absolute path, got '" + statedir + "'";
            } else if (paused) {
                error = "WPAR " + name + " is paused; only an active WPAR can be checkpointed";
            } else if (Files.exists(root.resolve("fail-checkpoint"))) {
                error = "injected failure: " + root.resolve("fail-checkpoint") + " exists";
            } else {
                try {
                    journal.force(true);
                    StateDir.write(Path.of(statedir), name, counter, buffer, healthy);
                } catch (IOException e) {
                    error = "cannot write statefile to " + statedir + ": " + e;
                }
            }
            if (error == null && mode.equals("pause")) {
                paused = true;
                publish();
            } else if (error == null && mode.equals("kill")) {
                stop("stopped");
            }
            Map<String, String> done = new LinkedHashMap<>();
            done.put("id", id);
            done.put("result", error == null ? "ok" : "error");
            done.put("counter", Long.toString(counter));
            done.put("state", state());
            done.put("statedir", statedir);
            done.put("message", error == null ? "checkpoint written" : error.replace('\n', ' '));
            StringBuilder sb = new StringBuilder();
            done.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
            replace(ctl.resolve("done." + id), sb.toString());
            System.err.println("toywpar: checkpoint " + id + " to " + statedir + " (" + mode + "): "
                    + (error == null ? "ok at counter " + counter : error));
        }

        private String state() {
            return stopped ? "stopped" : paused ? "paused" : "running";
        }

        /** Rewrites run/state.json and run/status, in that order, so a script that saw the status can read the rest. */
        private void publish() throws IOException {
            publish(state());
        }

        private void publish(String state) throws IOException {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", name);
            s.put("pid", ProcessHandle.current().pid());
            s.put("state", state);
            s.put("counter", counter);
            s.put("healthy", healthy);
            // Hashing the whole buffer every tick costs more than the tick; while it is still,
            // the hash is what tests compare with the statefile's meta.json.
            s.put("memory_sha256", state.equals("running") ? null : MemoryImageFormat.digest(counter, buffer));
            s.put("ticks_since_start", ticksSinceStart);
            s.put("updated_at", Instant.now().toString());
            s.putAll(origin);
            replace(run.resolve("state.json"), Json.write(s) + "\n");
            replace(run.resolve("status"), state + "\n");
        }

        private void stop(String finalState) throws IOException {
            if (journal != null && journal.isOpen()) {
                try {
                    journal.force(true);
                } finally {
                    journal.close();
                }
            }
            stopped = true;
            publish(finalState);
            Files.deleteIfExists(run.resolve("pid"));
        }

        static String lastLine(Path file) throws IOException {
            if (!Files.exists(file)) {
                return null;
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                ByteBuffer tail = ByteBuffer.allocate((int) Math.min(size, 4096));
                ch.read(tail, size - tail.capacity());
                String s = new String(tail.array(), 0, tail.position(), StandardCharsets.US_ASCII);
                s = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
                return s.isEmpty() ? null : s.substring(s.lastIndexOf('\n') + 1);
            }
        }

        static Map<String, String> keyValues(String text) {
            Map<String, String> out = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    out.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            return out;
        }
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** A statefile directory that is missing parts, truncated, or fails its checksum. */
    static final class DamagedStateException extends IOException {
        DamagedStateException(String message) {
            super(message);
        }
    }

    /**
     * memory.img, the toy's memory image. Big-endian:
     * <pre>
     * MAGIC(8) = "TOYWPMEM" || VERSION(1) = 1 || COUNTER(8) || BUFFER_LEN(4) || BUFFER(BUFFER_LEN)
     *   || SHA256(32) over every preceding byte
     * </pre>
     */
    static final class MemoryImageFormat {
        static final byte[] MAGIC = "TOYWPMEM".getBytes(StandardCharsets.US_ASCII);
        static final int VERSION = 1;
        static final int HEADER = 8 + 1 + 8 + 4;
        static final int TRAILER = 32;

        /** The memory as read back: counter, buffer, and the image's verified SHA-256 in hex. */
        record Decoded(long counter, byte[] buffer, String sha256) {}

        /** {@code sha256} is {@link #digest} of the same memory, which the caller also records. */
        static byte[] encode(long counter, byte[] buffer, String sha256) {
            ByteBuffer b = ByteBuffer.allocate(HEADER + buffer.length + TRAILER);
            b.put(header(counter, buffer.length)).put(buffer).put(HexFormat.of().parseHex(sha256));
            return b.array();
        }

        /** The SHA-256 an image of this memory carries: one value names the whole memory state. */
        static String digest(long counter, byte[] buffer) {
            MessageDigest md = sha256();
            md.update(header(counter, buffer.length));
            md.update(buffer);
            return HexFormat.of().formatHex(md.digest());
        }

        private static byte[] header(long counter, int bufferLength) {
            return ByteBuffer.allocate(HEADER).put(MAGIC).put((byte) VERSION).putLong(counter).putInt(bufferLength).array();
        }

        static Decoded decode(byte[] img, Path file) throws DamagedStateException {
            if (img.length < HEADER + TRAILER) {
                throw new DamagedStateException(file + ": truncated: " + img.length + " bytes < minimum " + (HEADER + TRAILER));
            }
            ByteBuffer b = ByteBuffer.wrap(img);
            byte[] magic = new byte[8];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new DamagedStateException(file + ": bad magic " + HexFormat.of().formatHex(magic));
            }
            int version = b.get() & 0xff;
            if (version != VERSION) {
                throw new DamagedStateException(file + ": unsupported version " + version + " (this toy reads " + VERSION + ")");
            }
            long counter = b.getLong();
            int len = b.getInt();
            long expectedLength = (long) HEADER + len + TRAILER;
            if (len < 0 || expectedLength != img.length) {
                throw new DamagedStateException(file + ": length " + img.length + " != expected " + expectedLength
                        + " for a " + len + "-byte buffer");
            }
            MessageDigest md = sha256();
            md.update(img, 0, HEADER + len);
            String actual = HexFormat.of().formatHex(md.digest());
            String expected = HexFormat.of().formatHex(img, HEADER + len, img.length);
            if (!actual.equals(expected)) {
                throw new DamagedStateException(file + ": checksum mismatch: actual " + actual + " != expected " + expected);
            }
            return new Decoded(counter, Arrays.copyOfRange(img, HEADER, HEADER + len), actual);
        }
    }

    /** A statefile directory: memory.img (authoritative) and meta.json (what it holds, for people and tests). */
    static final class StateDir {
        record Loaded(String name, long counter, byte[] buffer, String memorySha256, String createdAt) {}

        static void write(Path dir, String name, long counter, byte[] buffer, boolean healthy) throws IOException {
            Files.createDirectories(dir);
            String sha = MemoryImageFormat.digest(counter, buffer);
            writeDurably(dir.resolve("memory.img"), MemoryImageFormat.encode(counter, buffer, sha));
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("format", "toywpar-statedir");
            meta.put("version", 1L);
            meta.put("name", name);
            meta.put("counter", counter);
            meta.put("buffer_bytes", (long) buffer.length);
            meta.put("memory_sha256", sha);
            meta.put("healthy", healthy);
            meta.put("created_at", Instant.now().toString());
            writeDurably(dir.resolve("meta.json"), (Json.write(meta) + "\n").getBytes(StandardCharsets.UTF_8));
            fsyncDirectory(dir);
        }

        static Loaded load(Path dir) throws IOException {
            Path img = dir.resolve("memory.img");
            Path metaFile = dir.resolve("meta.json");
            for (Path p : new Path[] {img, metaFile}) {
                if (!Files.isRegularFile(p)) {
                    throw new DamagedStateException(p + ": missing");
                }
            }
            MemoryImageFormat.Decoded m = MemoryImageFormat.decode(Files.readAllBytes(img), img);
            long counter = m.counter();
            String sha = m.sha256();
            Map<String, String> meta = Json.readFlat(Files.readString(metaFile));
            String metaCounter = meta.get("counter");
            String metaSha = Json.unquote(meta.get("memory_sha256"));
            if (!Long.toString(counter).equals(metaCounter) || !sha.equals(metaSha)) {
                throw new DamagedStateException(metaFile + ": does not match memory.img: counter " + metaCounter
                        + " != " + counter + " or memory_sha256 " + metaSha + " != " + sha);
            }
            return new Loaded(Json.unquote(meta.get("name")), counter, m.buffer(), sha, Json.unquote(meta.get("created_at")));
        }
    }

    /** Just enough JSON for the flat objects this toy writes: one line, string/number/boolean/null values. */
    static final class Json {
        private static final Pattern MEMBER = Pattern.compile(
                "\"((?:[^\"\\\\]|\\\\.)*)\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|[-0-9.eE+]+|true|false|null)");

        static String write(Map<String, Object> fields) {
            Map<String, String> raw = new LinkedHashMap<>();
            fields.forEach((k, v) -> raw.put(k, v == null ? "null" : v instanceof String s ? quote(s) : v.toString()));
            return writeRaw(raw);
        }

        static String writeRaw(Map<String, String> raw) {
            StringBuilder sb = new StringBuilder("{");
            raw.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append(quote(k)).append(':').append(v));
            return sb.append('}').toString();
        }

        /** Member name to its raw JSON value text (strings keep their quotes). */
        static Map<String, String> readFlat(String json) {
            Map<String, String> out = new LinkedHashMap<>();
            Matcher m = MEMBER.matcher(json);
            while (m.find()) {
                out.put(unquote("\"" + m.group(1) + "\""), m.group(2));
            }
            return out;
        }

        static String quote(String s) {
            StringBuilder sb = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            return sb.append('"').toString();
        }

        static String unquote(String raw) {
            if (raw == null || !raw.startsWith("\"")) {
                return null;
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i < raw.length() - 1; i++) {
                char c = raw.charAt(i);
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = raw.charAt(++i);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        sb.append((char) Integer.parseInt(raw.substring(i + 1, i + 5), 16));
                        i += 4;
                    }
                    default -> sb.append(e);
                }
            }
            return sb.toString();
        }
    }
}
