/**
 * The datastore on disk: its directory layout, format marker and lock, and the append-only pack
 * files that hold chunk records. Everything here is crash-safe on its own: writes go to temporary
 * names, are fsynced and renamed; sealed packs never change.
 */
package io.ckpt.store;
