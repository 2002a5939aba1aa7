/**
 * Streams a complete checkpoint back: its parts in order, each chunk read from its pack,
 * decompressed and proven against its SHA-256 before a byte of it leaves the server; and decides
 * which checkpoint a restore means ({@link io.ckpt.restore.Selection}: pure functions).
 */
package io.ckpt.restore;
