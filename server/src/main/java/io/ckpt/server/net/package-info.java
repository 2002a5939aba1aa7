/**
 * The server's Netty side: the pipeline ({@link io.ckpt.server.net.ServerInitializer}) and the
 * per-connection handler that turns frames into ingest sessions, queries and restores, with
 * backpressure in both directions, and who goes first when connections compete
 * ({@link io.ckpt.server.net.Fairness}: upload slots and their queue, restores ahead of ingest,
 * per-host upload rate).
 */
package io.ckpt.server.net;
