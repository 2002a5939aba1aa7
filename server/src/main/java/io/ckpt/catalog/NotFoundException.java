package io.ckpt.catalog;

import java.io.IOException;

/** The WPAR, checkpoint or point in time asked for does not exist in the catalog. */
public final class NotFoundException extends IOException {
    public NotFoundException(String message) {
        super(message);
    }
}
