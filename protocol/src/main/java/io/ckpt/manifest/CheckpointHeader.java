package io.ckpt.manifest;

import java.util.List;

/** What a manifest says about its checkpoint as a whole. */
public record CheckpointHeader(long id, String wpar, long takenAtMillis, String kind, List<String> labels) {
    public CheckpointHeader {
        labels = List.copyOf(labels);
    }
}
