package io.ckpt.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.store.CrcLine;
import io.ckpt.store.Datastore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only audit log, {@code DATASTORE/audit/audit.log}: one event per line in the
 * journal's line format ({@link CrcLine}), {@code {"time", "actor", "principal"?, "host", "peer",
 * "action", "wpar"?, "checkpoint"?, "outcome", "details"?}}.
 *
 * <p>The file is only ever opened with {@code APPEND}; past {@code maxBytes} it is renamed to
 * {@code audit.log.1} (which becomes {@code .2}, and so on; the oldest past {@code keep} is
 * deleted) and a new one begun.
 *
 * <p>Durability: each event is written to the file (the kernel's page cache) before
 * {@link #record} returns, so a crash of the server process loses nothing; the file is fsynced
 * once per {@code syncEvery} (default 1 s) when something was written, and on close, so a crash
 * of the machine or a power loss can lose the last second of events. A line cut short by such
 * a crash is ended at the next start and followed by an {@code audit.recovered} event, so that
 * reading tells it apart from a line damaged later.
 *
 * <p>Recording never fails the action it records: an event that cannot be written is logged as
 * an ERROR with its content.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    static final ObjectMapper JSON = new ObjectMapper();
    public static final String DIR = "audit";
    public static final String FILE = "audit.log";
    public static final long DEFAULT_MAX_BYTES = 64L << 20;
    public static final int DEFAULT_KEEP = 8;
    /** The action recorded after a line torn by a crash. */
    static final String RECOVERED = "audit.recovered";

    /** How an audited action ended. */
    public enum Outcome {
        OK, FAILED, REFUSED;

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Path dir;
    private final long maxBytes;
    private final int keep;
    private final Clock clock;
    private final ScheduledExecutorService syncer;
    private FileChannel channel;
    private long size;
    private boolean dirty;
    private boolean closed;

    /** The audit log of the datastore at {@code root}, with the default size, rotation and sync interval. */
    public static AuditLog open(Path datastoreRoot) throws IOException {
        return new AuditLog(datastoreRoot.resolve(DIR), DEFAULT_MAX_BYTES, DEFAULT_KEEP, Duration.ofSeconds(1),
                Clock.systemUTC());
    }

    public AuditLog(Path dir, long maxBytes, int keep, Duration syncEvery, Clock clock) throws IOException {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.clock = clock;
        openFile();
        this.syncer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "audit-sync");
            t.setDaemon(true);
            return t;
        });
        syncer.scheduleWithFixedDelay(this::sync, syncEvery.toMillis(), syncEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    public Path dir() {
        return dir;
    }

    private void openFile() throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        boolean created = !Files.exists(file);
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        size = channel.size();
        if (created) {
            Datastore.fsyncDirectory(dir);
        } else if (size > 0) {
            ByteBuffer last = ByteBuffer.allocate(1);
            try (FileChannel r = FileChannel.open(file, StandardOpenOption.READ)) {
                r.read(last, size - 1);
            }
            if (last.get(0) != '\n') {
                write(new byte[] {'\n'}); // end the line a crash tore, so ours stands alone
                log.warn("audit log {}: the last line was cut short by a crash; it is reported as torn", file);
                write(CrcLine.encode(event(Actor.SERVER, RECOVERED, null, null, Outcome.OK, JSON.createObjectNode()
                        .put("reason", "the line before this one was cut short by a crash"))));
                channel.force(false);
            }
        }
    }

    /** Records one event: {@code wpar}, {@code checkpoint} and {@code details} may be null. Never throws. */
    public void record(Actor actor, String action, String wpar, Long checkpoint, Outcome outcome, ObjectNode details) {
        ObjectNode e = event(actor, action, wpar, checkpoint, outcome, details);
        synchronized (this) {
            try {
                if (closed) {
                    throw new IOException("audit log closed");
                }
                byte[] line = CrcLine.encode(e);
                if (size > 0 && size + line.length > maxBytes) {
                    rotate();
                }
                write(line);
                return;
            } catch (IOException | RuntimeException ex) {
                log.error("audit event not written to {} ({}): {}", dir.resolve(FILE), ex.getMessage(), e);
            }
        }
    }

    /** {@link #record} with outcome ok. */
    public void ok(Actor actor, String action, String wpar, Long checkpoint, ObjectNode details) {
        record(actor, action, wpar, checkpoint, Outcome.OK, details);
    }

    private ObjectNode event(Actor actor, String action, String wpar, Long checkpoint, Outcome outcome, ObjectNode details) {
        ObjectNode e = JSON.createObjectNode().put("time", clock.instant().toString()).put("actor", actor.name());
        if (!actor.principal().isEmpty()) {
            e.put("principal", actor.principal());
        }
        e.put("host", actor.host()).put("peer", actor.peer()).put("action", action);
        if (wpar != null) {
            e.put("wpar", wpar);
        }
        if (checkpoint != null) {
            e.put("checkpoint", checkpoint);
        }
        e.put("outcome", outcome.jsonName());
        if (details != null && !details.isEmpty()) {
            e.set("details", details);
        }
        return e;
    }

    private void write(byte[] line) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(line);
        while (b.hasRemaining()) {
            channel.write(b);
        }
        size += line.length;
        dirty = true;
    }

    /** audit.log → audit.log.1 → … → audit.log.KEEP (deleted past that); a new audit.log. */
    private void rotate() throws IOException {
        channel.force(false);
        channel.close();
        Files.deleteIfExists(dir.resolve(FILE + "." + keep));
        for (int i = keep - 1; i >= 1; i--) {
            Path from = dir.resolve(FILE + "." + i);
            if (Files.exists(from)) {
                Files.move(from, dir.resolve(FILE + "." + (i + 1)), StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Files.move(dir.resolve(FILE), dir.resolve(FILE + ".1"), StandardCopyOption.ATOMIC_MOVE);
        Datastore.fsyncDirectory(dir);
        openFile();
    }

    private synchronized void sync() {
        if (!dirty || closed) {
            return;
        }
        try {
            channel.force(false);
            dirty = false;
        } catch (IOException e) {
            log.error("audit log {}: fsync failed: {}", dir.resolve(FILE), e.getMessage());
        }
    }

    /** The events that pass {@code filter}, oldest first, with any torn or damaged lines (see {@link AuditReader}). */
    public ObjectNode query(AuditReader.Filter filter) throws IOException {
        return AuditReader.read(dir, keep, filter);
    }

    @Override
    public void close() {
        syncer.shutdownNow();
        synchronized (this) {
            closed = true;
            try {
                channel.force(false);
                channel.close();
            } catch (IOException e) {
                log.error("audit log {}: closing: {}", dir.resolve(FILE), e.getMessage());
            }
        }
    }

    /** The JSON array type for callers building details. */
    public static ArrayNode array() {
        return JSON.createArrayNode();
    }

    public static ObjectNode details() {
        return JSON.createObjectNode();
    }

}
