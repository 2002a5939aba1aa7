/**
 * Splits byte streams into content-defined chunks and names each chunk by its SHA-256 digest.
 *
 * <p>{@link io.ckpt.chunk.ContentDefinedChunker} finds cut points (FastCDC with normalized
 * chunking), {@link io.ckpt.chunk.ChunkDigest} is the digest value type. Both sides use the same
 * code, so a chunk cut by an agent (delta mode) and by the server (stream mode) has the same name.
 */
package io.ckpt.chunk;
