/**
 * The server's Netty side: the pipeline ({@link io.ckpt.server.net.ServerInitializer}) and, per
 * connection, a handler that owns its lifecycle and routes its frames: the handshake
 * ({@link io.ckpt.server.net.Handshake}), uploads into ingest sessions, requests to the request
 * dispatcher ({@link io.ckpt.server.net.RequestRunner}), restores and fetches
 * ({@link io.ckpt.server.net.RestoreStreamer}) and error replies
 * ({@link io.ckpt.server.net.ErrorReplies}), with backpressure in both directions, and who goes
 * first when connections compete ({@link io.ckpt.server.net.Fairness}: upload slots and their
 * queue, restores ahead of ingest, per-host upload rate).
 */
package io.ckpt.server.net;
