/**
 * Measures how content-defined chunk sizes trade deduplication against chunk count and speed on
 * memory-image-like data, to choose the datastore's {@link io.ckpt.chunk.ChunkerParams}.
 */
package io.ckpt.bench.chunking;
