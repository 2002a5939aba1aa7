package io.ckpt.ingest;

import io.ckpt.catalog.Names;
import java.io.IOException;
import java.util.List;

/**
 * What an UPLOAD_BEGIN asks for, as the server will record it: the WPAR, when the checkpoint was
 * taken, its kind and labels, the uploading host, the agent's upload key ("" for none), the health
 * it found, the connection's tenant (the checkpoint's dedup scope) and whether the client cuts
 * (delta mode). Built with {@link #of} and the {@code with...} methods; {@link #check} refuses a
 * name the catalog cannot hold.
 */
public record UploadRequest(String wpar, long takenAt, String kind, List<String> labels, String host, String key,
        String health, String healthReason, String tenant, boolean delta) {
    /** The tenant of a connection that names none: every checkpoint before tenants existed. */
    public static final String DEFAULT_TENANT = "default";

    public UploadRequest {
        labels = List.copyOf(labels);
    }

    /** A stream-mode upload with no key, unknown health, for the default tenant. */
    public static UploadRequest of(String wpar, long takenAt, String kind, List<String> labels, String host) {
        return new UploadRequest(wpar, takenAt, kind, labels, host, "", "unknown", "", DEFAULT_TENANT, false);
    }

    /** With the agent's upload key: a key already used by an upload in progress is refused (CONFLICT). */
    public UploadRequest withKey(String key) {
        return new UploadRequest(wpar, takenAt, kind, labels, host, key, health, healthReason, tenant, delta);
    }

    /** With the health the agent found (good, bad, unknown) and why. */
    public UploadRequest withHealth(String health, String reason) {
        return new UploadRequest(wpar, takenAt, kind, labels, host, key, health, reason, tenant, delta);
    }

    /** For {@code tenant}'s dedup scope. */
    public UploadRequest forTenant(String tenant) {
        return new UploadRequest(wpar, takenAt, kind, labels, host, key, health, healthReason, tenant, delta);
    }

    /** In delta mode (the client cuts and sends only the chunks the server lacks) or not. */
    public UploadRequest inDeltaMode(boolean delta) {
        return new UploadRequest(wpar, takenAt, kind, labels, host, key, health, healthReason, tenant, delta);
    }

    /** Refuses (BAD_REQUEST, naming it) a WPAR, kind, label, health or key the catalog does not take. */
    void check() throws IOException {
        Names.checkWpar(wpar);
        Names.checkKind(kind);
        Names.checkLabels(labels);
        Names.checkHealth(health, healthReason);
        Names.checkUploadKey(key);
    }
}
