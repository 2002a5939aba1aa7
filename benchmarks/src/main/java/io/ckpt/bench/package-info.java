/**
 * What every ckpt JMH benchmark shares: run settings, the byte counter that makes JMH report
 * MB/s, the deterministic image they process, and scratch directories on disk.
 *
 * <p>The subjects live in {@code io.ckpt.bench.stage} (one pipeline stage alone, data in memory)
 * and {@code io.ckpt.bench.path} (the whole path over a loopback socket). docs/BENCHMARKS.md says
 * how to run them and how to read the results.
 */
package io.ckpt.bench;
