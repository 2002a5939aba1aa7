/**
 * Benchmarks of the whole path over a real loopback socket: an in-process server and a client in
 * the same JVM, measuring a cold ingest, an incremental ingest and a restore of a memory image.
 */
package io.ckpt.bench.path;
