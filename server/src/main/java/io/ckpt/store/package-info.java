/**
 * The datastore's bytes: its directory layout, format marker and lock, the storage interface
 * ({@link io.ckpt.store.ObjectStore}) through which packs, manifests and the journal are written
 * and read, and the append-only pack files that hold chunk records. Everything here is crash-safe
 * on its own: an object is published whole or not at all, appends are durable once forced, sealed
 * packs never change (docs/ARCHITECTURE.md, "Storage interface").
 */
package io.ckpt.store;
