package io.ckpt.agent;

import java.time.Instant;

/**
 * What one scheduled or triggered checkpoint of a WPAR came to, for {@code ckpt status}:
 * taken and spooled, uploaded (with the server's id and the bytes sent), or failed and why.
 */
record RunRecord(String wpar, Instant startedAt, long durationMillis, String result, long checkpointId, long bytes,
        String health, String error) {
    static final String SPOOLED = "spooled";
    static final String UPLOADED = "uploaded";
    static final String FAILED = "failed";
}
