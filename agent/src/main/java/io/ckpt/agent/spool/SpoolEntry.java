package io.ckpt.agent.spool;

import java.nio.file.Path;
import java.util.List;

/**
 * One spooled checkpoint: its parts under {@code dir/parts} (named as they will be uploaded)
 * and what the upload says about it. {@code key} makes retries idempotent on the server.
 */
public record SpoolEntry(Path dir, long seq, String wpar, long takenAtMillis, String kind, String key, String health,
        String healthReason, List<String> labels, long bytes) {

    public Path parts() {
        return dir.resolve("parts");
    }
}
