/**
 * The agent–server protocol as typed values: frames, their type codes, error codes and the
 * protocol version. No I/O and no byte layout here: {@link io.ckpt.protocol.codec} owns that.
 */
package io.ckpt.protocol;
