/**
 * Checks what is stored: every chunk record (pack header, record CRC, digest and sizes; with
 * --full also decompression and SHA-256) and every catalog reference, and names the checkpoints
 * and parts that damage would break.
 */
package io.ckpt.verify;
