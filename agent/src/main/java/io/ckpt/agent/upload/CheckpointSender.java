package io.ckpt.agent.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.net.ClientException;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.chunk.PreviousChunks;
import io.ckpt.protocol.ProtocolVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Sends one checkpoint: begin, every part in order, commit. On any failure the upload is
 * aborted, so the server shows nothing of it.
 */
public final class CheckpointSender {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A part's bytes, opened when it is sent; null for parts without data. */
    @FunctionalInterface
    public interface Opener {
        InputStream open() throws IOException;
    }

    /** One part of the upload. */
    public record Part(PartInfo info, Opener data, Path file) {
        /** A part read from a stream: no prediction, no second read for its SHA-256. */
        public Part(PartInfo info, Opener data) {
            this(info, data, null);
        }

        public static Part of(PartSource s) {
            return s.info().type().hasData() ? new Part(s.info(), s::open, s.file()) : new Part(s.info(), null, null);
        }
    }

    /** How the bytes go: raw (the server chunks) or as chunks the server lacks (docs/PROTOCOL.md). */
    public enum Mode {
        STREAM, DELTA;

        /** {@code stream} or {@code delta}, as the CLI and the agent config spell it. */
        public static Mode parse(String s) {
            return switch (s) {
                case "stream" -> STREAM;
                case "delta" -> DELTA;
                default -> throw new IllegalArgumentException("upload mode '" + s + "' is neither 'stream' nor 'delta'");
            };
        }
    }

    private CheckpointSender() {}

    /**
     * Uploads the parts in stream mode and returns the server's JSON for the committed checkpoint
     * (with {@code "duplicate": true} when the key named a checkpoint that was already complete).
     */
    public static JsonNode send(CkptClient c, Frame.UploadBegin begin, List<Part> parts, LongConsumer progress)
            throws IOException {
        return send(c, begin, parts, progress, Mode.STREAM, notice -> {});
    }

    /**
     * Uploads the parts in {@code mode}. Delta mode needs protocol version 2: against an older
     * server the upload goes in stream mode and {@code notice} hears one line saying so. The JSON
     * of a delta upload carries {@code "upload_mode"}, {@code "chunks_sent"} and {@code "bytes_sent"}
     * (chunk bytes that crossed the wire); that of a stream upload {@code "upload_mode": "stream"}.
     */
    public static JsonNode send(CkptClient c, Frame.UploadBegin begin, List<Part> parts, LongConsumer progress,
            Mode mode, Consumer<String> notice) throws IOException {
        if (mode == Mode.DELTA && !ProtocolVersion.hasDelta(c.protocolVersion())) {
            notice.accept("ckpt: the server speaks protocol version " + c.protocolVersion()
                    + ", without delta uploads: sending in stream mode");
            mode = Mode.STREAM;
        }
        DeltaPartSender delta = null;
        if (mode == Mode.DELTA) {
            delta = new DeltaPartSender(c);
            guessFromPrevious(c, begin.wpar(), delta);
        }
        int wireMode = mode == Mode.DELTA ? Frame.UploadBegin.MODE_DELTA : Frame.UploadBegin.MODE_STREAM;
        Frame.UploadBegin b = new Frame.UploadBegin(begin.wpar(), begin.takenAtMillis(), begin.kind(), wireMode,
                begin.labels(), begin.key(), begin.health(), begin.healthReason());
        CkptClient.Begun begun = c.beginUpload(b);
        if (begun.isDuplicate()) {
            return begun.alreadyCommitted();
        }
        try {
            long logical = 0;
            for (Part p : parts) {
                if (p.data() != null) {
                    if (delta != null && p.file() != null) {
                        logical += delta.sendFile(p.info(), p.file(), progress);
                    } else {
                        try (InputStream in = p.data().open()) {
                            logical += delta != null ? delta.send(p.info(), in, progress) : c.sendPart(p.info(), in, progress);
                        }
                    }
                } else {
                    c.sendEmptyPart(p.info());
                }
            }
            JsonNode result = c.commit();
            if (result instanceof ObjectNode o) {
                o.put("upload_mode", mode == Mode.DELTA ? "delta" : "stream");
                o.put("chunks_sent", delta != null ? delta.chunksSent() : -1);
                o.put("bytes_sent", delta != null ? delta.bytesSent() : logical);
                if (delta != null) {
                    o.put("predicted_bytes", delta.predictedBytes());
                }
            }
            return result;
        } catch (IOException | RuntimeException e) {
            c.abort(e.getMessage() == null ? "client error" : e.getMessage());
            throw e;
        }
    }

    /**
     * A first guess at what the server holds: the chunks of the WPAR's newest complete checkpoint,
     * when this host uploaded it (so it is in this host's dedup scope), read with {@code chunk_list}
     * up to the sender's memory cap. Those digests need no query. No such checkpoint: no guess.
     */
    private static void guessFromPrevious(CkptClient c, String wpar, DeltaPartSender delta) throws IOException {
        JsonNode cp;
        try {
            cp = c.request(JSON.createObjectNode().put("op", "select").put("wpar", wpar)).path("checkpoint");
        } catch (ClientException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                return;
            }
            throw e;
        }
        if (!cp.path("host").asText("").equals(c.hostId())) {
            return;
        }
        long id = cp.path("id").asLong();
        boolean predict = true;
        long held = 0;
        for (int part = 0, parts = cp.path("parts").asInt(); part < parts; part++) {
            PreviousChunks.Builder order = new PreviousChunks.Builder();
            String name = null;
            boolean whole = true;
            for (long from = 0; from >= 0; ) {
                if (delta.knownFull() && !predict) {
                    whole = false;
                    break;
                }
                JsonNode page = c.request(JSON.createObjectNode().put("op", "chunk_list").put("id", id)
                        .put("part", part).put("from", from));
                name = page.path("info").path("name").asText(null);
                String digests = page.path("digests").asText("");
                JsonNode lengths = page.path("lengths");
                for (int i = 0, k = 0; i + 64 <= digests.length(); i += 64, k++) {
                    byte[] d = HexFormat.of().parseHex(digests, i, i + 64);
                    delta.knownPresent(d);
                    if (predict && lengths.has(k)) {
                        order.add(lengths.get(k).asInt(), d, 0);
                        if (++held > DeltaPartSender.MAX_PREVIOUS) {
                            predict = false; // too many to hold: this part and the rest are cut, not predicted
                        }
                    }
                }
                from = page.path("next").asLong(-1);
            }
            if (predict && whole && name != null) {
                predict = delta.previousPart(name, order.build());
            }
        }
    }
}
