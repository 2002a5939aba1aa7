package io.ckpt.agent.upload;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Sends one checkpoint: begin, every part in order, commit. On any failure the upload is
 * aborted, so the server shows nothing of it.
 */
public final class CheckpointSender {
    /** A part's bytes, opened when it is sent; null for parts without data. */
    @FunctionalInterface
    public interface Opener {
        InputStream open() throws IOException;
    }

    /** One part of the upload. */
    public record Part(PartInfo info, Opener data) {
        public static Part of(PartSource s) {
            return new Part(s.info(), s.info().type().hasData() ? s::open : null);
        }
    }

    private CheckpointSender() {}

    /**
     * Uploads the parts and returns the server's JSON for the committed checkpoint (with
     * {@code "duplicate": true} when the key named a checkpoint that was already complete).
     */
    public static JsonNode send(CkptClient c, Frame.UploadBegin begin, List<Part> parts, LongConsumer progress)
            throws IOException {
        CkptClient.Begun begun = c.beginUpload(begin);
        if (begun.isDuplicate()) {
            return begun.alreadyCommitted();
        }
        try {
            for (Part p : parts) {
                if (p.data() != null) {
                    try (InputStream in = p.data().open()) {
                        c.sendPart(p.info(), in, progress);
                    }
                } else {
                    c.sendEmptyPart(p.info());
                }
            }
            return c.commit();
        } catch (IOException | RuntimeException e) {
            c.abort(e.getMessage() == null ? "client error" : e.getMessage());
            throw e;
        }
    }
}
