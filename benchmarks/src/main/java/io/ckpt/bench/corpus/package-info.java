/**
 * Makes deterministic series of checkpoint images that look like a WPAR's: memory images
 * ({@link io.ckpt.bench.chunking.MemoryImageCorpus}) and tars of a file tree
 * ({@link io.ckpt.bench.corpus.FileTreeCorpus}), written to disk and cached by
 * {@link io.ckpt.bench.corpus.CheckpointSeries} for the macro benchmark.
 */
package io.ckpt.bench.corpus;
