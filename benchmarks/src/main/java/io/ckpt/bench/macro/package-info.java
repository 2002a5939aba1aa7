/**
 * Runs the macro benchmark: a checkpoint series through a real ckpt server and CLI, restic and
 * borg, beside this machine's limits measured in the same run, reported as JSON and markdown.
 */
package io.ckpt.bench.macro;
