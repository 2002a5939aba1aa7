/**
 * Benchmarks of one ingest or restore stage alone, on data already in memory (or, for packs and
 * the catalog, on a local disk): FastCDC, SHA-256, LZ4, the frame codec, pack appends with fsync,
 * and catalog batches. Their MB/s read against the machine limits in docs/BENCHMARKS.md.
 */
package io.ckpt.bench.stage;
