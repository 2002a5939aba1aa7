package io.ckpt.ingest;

import io.ckpt.manifest.CheckpointHeader;
import io.ckpt.manifest.ManifestWriter;
import io.ckpt.protocol.PartInfo;
import io.ckpt.store.Datastore;
import io.ckpt.store.ObjectStore;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * An upload's manifest while it is written: staged in the datastore's object store (out of sight,
 * see {@link ObjectStore#stage}) part by part as the upload goes, then published whole under the
 * checkpoint's key by the commit, before the catalog transaction that makes the checkpoint
 * complete (docs/FORMAT.md, "Manifest" and "Journal"). Discarded, it never appears.
 */
final class ManifestDraft {
    private final ObjectStore.Staged out;
    private final ManifestWriter writer;
    /** What the manifest's attributes record says at commit, beside the sizes (docs/FORMAT.md). */
    private final Map<String, String> attributes = new TreeMap<>();

    private ManifestDraft(ObjectStore.Staged out, ManifestWriter writer) {
        this.out = out;
        this.writer = writer;
    }

    /** Stages the manifest of checkpoint {@code id}, uploaded as {@code r} and registered at {@code createdAt}. */
    static ManifestDraft stage(Datastore ds, long id, UploadRequest r, long createdAt) throws IOException {
        ObjectStore.Staged staged = ds.objects().stage(Datastore.manifestKey(id));
        try {
            ManifestDraft d = new ManifestDraft(staged, new ManifestWriter(staged.output(),
                    new CheckpointHeader(id, r.wpar(), r.takenAt(), r.kind(), r.labels())));
            d.attributes.put("host", r.host());
            d.attributes.put("health", r.health());
            d.attributes.put("health_reason", r.healthReason());
            d.attributes.put("created_at", Long.toString(createdAt));
            if (!r.key().isEmpty()) {
                d.attributes.put("upload_key", r.key());
            }
            if (r.delta()) {
                d.attributes.put("upload_mode", "delta");
            }
            if (!r.tenant().equals(UploadRequest.DEFAULT_TENANT)) {
                d.attributes.put("tenant", r.tenant());
            }
            return d;
        } catch (IOException | RuntimeException e) {
            staged.close();
            throw e;
        }
    }

    void beginPart(PartInfo info) throws IOException {
        writer.beginPart(info);
    }

    /** The part's next chunk: the 32-byte digest at {@code offset} of {@code digests}, and its length. */
    void chunk(byte[] digests, int offset, int length) throws IOException {
        writer.chunk(digests, offset, length);
    }

    void endPart(long length, byte[] sha256) throws IOException {
        writer.endPart(length, sha256);
    }

    /**
     * Ends the manifest with its attributes and {@code sizes} (completed_at, logical_bytes, ...)
     * and publishes it: durable under the checkpoint's key when this returns.
     */
    void publish(Map<String, String> sizes) throws IOException {
        attributes.putAll(sizes);
        writer.finish(attributes);
        writer.close();
        out.publish();
    }

    /** Drops the staged manifest (nothing once published). Never throws: the upload is being discarded. */
    void discard() {
        try {
            writer.close();
        } catch (IOException ignored) {
            // being discarded
        }
        try {
            out.close();
        } catch (IOException ignored) {
            // tmp/ is emptied at the next start
        }
    }
}
