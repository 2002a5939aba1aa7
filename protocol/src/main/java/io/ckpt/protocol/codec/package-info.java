/**
 * Turns {@link io.ckpt.protocol.Frame}s into bytes and back: the only code that knows the wire
 * layout. Every frame is {@code LENGTH(4) || TYPE(1) || PAYLOAD}, bounded by a maximum size.
 */
package io.ckpt.protocol.codec;
