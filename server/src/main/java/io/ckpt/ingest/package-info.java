/**
 * Turns an uploaded stream into a stored checkpoint: chunk, hash, dedup against the catalog,
 * compress, append to packs, and commit to the catalog only once the bytes are durable.
 */
package io.ckpt.ingest;
