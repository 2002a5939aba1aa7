package io.ckpt.manifest;

import java.io.IOException;

/** A manifest that is not one, is damaged, or is of a version this build does not read. */
public final class ManifestException extends IOException {
    public ManifestException(String message) {
        super(message);
    }
}
