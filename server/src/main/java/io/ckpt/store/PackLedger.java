package io.ckpt.store;

import java.io.IOException;

/** Where {@link PackStore} records the packs it creates and seals (the catalog's packs table). */
public interface PackLedger {
    /** Registers a new, open pack and returns its id. */
    long createPack() throws IOException;

    /** Records that pack {@code id} is sealed at {@code size} bytes (footer excluded). */
    void sealPack(long id, long size) throws IOException;
}
