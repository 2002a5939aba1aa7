package io.ckpt.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.store.CrcLine;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads the audit log, the rotated files oldest first, and keeps the events that pass a filter.
 * A line whose CRC does not match is reported: as {@code torn} when it is the newest file's
 * unterminated last line or is followed by the {@code audit.recovered} event the next start
 * wrote (a crash cut it short), else as {@code damaged} (changed after it was written: damage
 * or tampering).
 */
public final class AuditReader {
    /** Longest line read; a longer one is reported as damaged. Events are far smaller. */
    static final int MAX_LINE = 1 << 20;

    private AuditReader() {}

    /**
     * What {@code ckpt audit} asks for; null fields match everything. {@code action} matches the
     * action or its prefix before a dot ({@code upload} matches {@code upload.committed}).
     * {@code limit} keeps the newest that many (0: all).
     */
    public record Filter(Instant since, Instant until, String wpar, String actor, String action, int limit) {
        public static final Filter ALL = new Filter(null, null, null, null, null, 0);

        /** From request {@code {"op":"audit", "since"?, "until"?, "wpar"?, "actor"?, "action"?, "limit"?}}. */
        public static Filter of(JsonNode req) {
            int limit = req.path("limit").asInt(0);
            if (limit < 0) {
                throw new IllegalArgumentException("audit 'limit' must be 0 (all) or more, not " + limit);
            }
            return new Filter(instant(req, "since"), instant(req, "until"), text(req, "wpar"), text(req, "actor"),
                    text(req, "action"), limit);
        }

        private static String text(JsonNode req, String field) {
            return req.hasNonNull(field) && !req.get(field).asText().isEmpty() ? req.get(field).asText() : null;
        }

        private static Instant instant(JsonNode req, String field) {
            String s = text(req, field);
            if (s == null) {
                return null;
            }
            try {
                return Instant.parse(s);
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("audit '" + field + "': '" + s + "' is not an ISO-8601 instant");
            }
        }

        boolean matches(JsonNode e) {
            Instant t;
            try {
                t = Instant.parse(e.path("time").asText());
            } catch (RuntimeException ex) {
                return false;
            }
            if ((since != null && t.isBefore(since)) || (until != null && t.isAfter(until))) {
                return false;
            }
            if (wpar != null && !wpar.equals(e.path("wpar").asText(null))) {
                return false;
            }
            if (actor != null && !actor.equals(e.path("actor").asText()) && !actor.equals(e.path("host").asText())) {
                return false;
            }
            String a = e.path("action").asText();
            return action == null || a.equals(action) || a.startsWith(action + ".");
        }
    }

    /** {@code {"events": [...], "torn_lines": [{"file", "line"}], "damaged_lines": [{"file", "line"}]}}. */
    public static ObjectNode read(Path dir, int keep, Filter filter) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = keep; i >= 1; i--) {
            Path p = dir.resolve(AuditLog.FILE + "." + i);
            if (Files.exists(p)) {
                files.add(p);
            }
        }
        Path current = dir.resolve(AuditLog.FILE);
        if (Files.exists(current)) {
            files.add(current);
        }
        ObjectNode out = AuditLog.JSON.createObjectNode();
        Deque<JsonNode> events = new ArrayDeque<>();
        ArrayNode torn = AuditLog.JSON.createArrayNode();
        ArrayNode damaged = AuditLog.JSON.createArrayNode();
        for (Path f : files) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
                Line pendingBad = null;
                long n = 0;
                Line line;
                while ((line = next(in, ++n)) != null) {
                    JsonNode e = line.text == null ? null : CrcLine.decode(line.text);
                    if (pendingBad != null) {
                        boolean recovered = e != null && AuditLog.RECOVERED.equals(e.path("action").asText());
                        (recovered ? torn : damaged).addObject().put("file", f.getFileName().toString())
                                .put("line", pendingBad.number);
                        pendingBad = null;
                    }
                    if (e == null) {
                        if (!line.terminated && f.equals(current)) {
                            torn.addObject().put("file", f.getFileName().toString()).put("line", line.number);
                        } else {
                            pendingBad = line;
                        }
                        continue;
                    }
                    if (filter.matches(e)) {
                        events.addLast(e);
                        if (filter.limit() > 0 && events.size() > filter.limit()) {
                            events.removeFirst();
                        }
                    }
                }
                if (pendingBad != null) {
                    damaged.addObject().put("file", f.getFileName().toString()).put("line", pendingBad.number);
                }
            }
        }
        ArrayNode arr = out.putArray("events");
        events.forEach(arr::add);
        out.set("torn_lines", torn);
        out.set("damaged_lines", damaged);
        return out;
    }

    /** One line: its text (null when longer than {@link #MAX_LINE}) and whether an LF ended it. */
    private record Line(long number, String text, boolean terminated) {}

    private static Line next(InputStream in, long number) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        boolean tooLong = false;
        int b;
        boolean any = false;
        while ((b = in.read()) != -1) {
            any = true;
            if (b == '\n') {
                return new Line(number, tooLong ? null : buf.toString(StandardCharsets.UTF_8), true);
            }
            if (buf.size() < MAX_LINE) {
                buf.write(b);
            } else {
                tooLong = true;
            }
        }
        return any ? new Line(number, tooLong ? null : buf.toString(StandardCharsets.UTF_8), false) : null;
    }
}
