/**
 * End-to-end tests: a real {@code ckpt server} and real {@code ckpt} client processes on
 * 127.0.0.1, driven as an operator would, including crashes, kills and damaged files. The
 * harness ({@link io.ckpt.it.ServerProcess}, {@link io.ckpt.it.Cli}, {@link io.ckpt.it.MemoryImage})
 * starts processes and makes deterministic data; every test class reads as a specification.
 */
package io.ckpt.it;

import io.ckpt.testkit.ServerProcess;
