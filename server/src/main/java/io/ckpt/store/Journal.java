package io.ckpt.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The datastore's record of catalog state that changes after a checkpoint's manifest is written:
 * each checkpoint's commit, health marks, protection, WPAR ownership. With the packs and the
 * manifests it is enough to rebuild a lost catalog ({@code ckpt server rebuild-catalog}) that says
 * what the lost one said, and no more: a manifest is renamed into place before the commit
 * transaction, so only a {@code commit} event tells a committed checkpoint from an upload cut off
 * (or fenced, or aborted) between the two (docs/FORMAT.md, "Journal").
 *
 * <p>One event per line ({@link CrcLine}), appended and fsynced before the
 * catalog transaction that makes the same change commits. A torn last line (a crash during the
 * append) is ignored on reading; so is any line whose CRC does not match, with a count in the
 * result. Layout and events: docs/FORMAT.md, "Journal".
 */
public final class Journal implements AutoCloseable {
    public static final String FILE = "catalog.journal";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectStore store;
    private final String key;
    private ObjectStore.Appender log;

    /** The journal kept as the log {@code key} of {@code store} (the datastore's: {@link Datastore#journal()}). */
    public Journal(ObjectStore store, String key) {
        this.store = store;
        this.key = key;
    }

    /** A journal in the file {@code file}, its rewrite staged beside it (for tests and tools). */
    public Journal(Path file) {
        this(new LocalObjectStore(file.getParent(), file.getParent()), file.getFileName().toString());
    }

    /** A health mark: what {@code ckpt mark-good/mark-bad} and a failed start record. */
    public static ObjectNode health(long checkpointId, String health, String reason, long at) {
        return event("health", at).put("id", checkpointId).put("health", health).put("reason", reason);
    }

    /** Protection set or lifted. */
    public static ObjectNode protect(long checkpointId, boolean on, long at) {
        return event("protect", at).put("id", checkpointId).put("protected", on);
    }

    /** A WPAR's owning host and ownership epoch. */
    public static ObjectNode owner(String wpar, String host, long epoch, long at) {
        return event("owner", at).put("wpar", wpar).put("host", host).put("epoch", epoch);
    }

    /**
     * Checkpoint {@code checkpointId} of {@code wpar} committed: appended inside the commit
     * transaction, after the fence check and before the transaction commits.
     */
    public static ObjectNode commit(long checkpointId, String wpar, long at) {
        return event("commit", at).put("id", checkpointId).put("wpar", wpar);
    }

    /**
     * From checkpoint id {@code from} on, every commit is journaled: a rebuild takes in a manifest
     * with an id at or above the lowest such {@code from} only if a {@code commit} event names it.
     * Appended at every server start, before it listens.
     */
    public static ObjectNode commitsJournaled(long from, long at) {
        return event(COMMITS_JOURNALED, at).put("from", from);
    }

    /**
     * Checkpoints {@code ids} removed by a prune: appended after the transaction that deleted their
     * rows committed and before their manifests are unlinked, so that a rebuild after a cut-off
     * prune does not bring them back. (A kill before this line leaves manifests without rows:
     * the next start's recovery deletes them; a rebuild before that start brings them back, the
     * harmless direction.)
     */
    public static ObjectNode removed(java.util.Collection<Long> ids, long at) {
        ObjectNode e = event(REMOVED, at);
        ids.forEach(e.putArray("ids")::add);
        return e;
    }

    /** The op of {@link #removed}. */
    public static final String REMOVED = "removed";

    /** The op of {@link #commitsJournaled}. */
    public static final String COMMITS_JOURNALED = "commits_journaled";

    /** The next checkpoint id must be above {@code id} (written when the journal is compacted). */
    public static ObjectNode idsAbove(long id, long at) {
        return event("ids_above", at).put("id", id);
    }

    private static ObjectNode event(String op, long at) {
        return JSON.createObjectNode().put("op", op).put("at", at);
    }

    /** Appends one event and makes it durable before returning. */
    public synchronized void append(ObjectNode event) throws IOException {
        if (log == null) {
            ObjectStore.Appender opened = store.appendable(key);
            try {
                if (opened.size() > 0 && lastByte(opened.size()) != '\n') {
                    opened.append(ByteBuffer.wrap(new byte[] {'\n'})); // end a line torn by a crash, so ours stands alone
                }
            } catch (IOException e) {
                opened.close();
                throw e;
            }
            log = opened;
        }
        log.append(ByteBuffer.wrap(line(event)));
        log.force();
    }

    private int lastByte(long size) throws IOException {
        try (ObjectStore.ObjectReader r = store.open(key)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            return r.read(last, size - 1) == 1 ? last.get(0) : -1;
        }
    }

    private static byte[] line(ObjectNode event) throws IOException {
        return CrcLine.encode(event);
    }

    /** The events in file order, and how many lines were skipped as damaged. */
    public record Contents(List<JsonNode> events, int damagedLines) {}

    /**
     * Reads every intact event; a missing journal reads as empty. A line that is not UTF-8 (bit
     * rot, a torn multi-byte character) is damaged like one whose CRC does not match: counted and
     * skipped, and the lines after it still read.
     */
    public static Contents read(Path file) throws IOException {
        try {
            return read(Files.newInputStream(file));
        } catch (NoSuchFileException e) {
            return new Contents(List.of(), 0);
        }
    }

    /** Like {@link #read(Path)}, of this journal. */
    public Contents read() throws IOException {
        try {
            return read(store.open(key).stream());
        } catch (NoSuchFileException e) {
            return new Contents(List.of(), 0);
        }
    }

    private static Contents read(java.io.InputStream stream) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        int damaged = 0;
        try (java.io.InputStream in = new java.io.BufferedInputStream(stream)) {
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream(256);
            for (int b = in.read(); ; b = in.read()) {
                if (b == '\n' || (b < 0 && line.size() > 0)) {
                    JsonNode event = parse(decode(line.toByteArray()));
                    if (event == null) {
                        damaged++;
                    } else {
                        events.add(event);
                    }
                    line.reset();
                } else if (b >= 0) {
                    line.write(b);
                }
                if (b < 0) {
                    break;
                }
            }
        }
        return new Contents(events, damaged);
    }

    /** The line as text, or null when it is not UTF-8. */
    private static String decode(byte[] line) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(line)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    private static JsonNode parse(String line) {
        if (line == null) {
            return null;
        }
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1); // as BufferedReader.readLine read a CRLF line
        }
        JsonNode n = CrcLine.decode(line);
        return n != null && n.hasNonNull("op") ? n : null;
    }

    /** Size of the journal in bytes (0 when there is none). */
    public long size() throws IOException {
        try {
            return store.size(key);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    /**
     * Replaces the journal with {@code snapshot} (the current state, one event per fact),
     * atomically: staged and published in one step, so a crash leaves either the old journal or
     * the new one.
     */
    public synchronized void rewrite(List<ObjectNode> snapshot) throws IOException {
        try (ObjectStore.Staged next = store.stage(key)) {
            for (ObjectNode e : snapshot) {
                next.output().write(line(e));
            }
            close();
            next.publish();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (log != null) {
            log.close();
            log = null;
        }
    }
}
