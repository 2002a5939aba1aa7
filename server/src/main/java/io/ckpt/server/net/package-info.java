/**
 * The server's Netty side: the pipeline ({@link io.ckpt.server.net.ServerInitializer}) and the
 * per-connection handler that turns frames into ingest sessions, queries and restores, with
 * backpressure in both directions.
 */
package io.ckpt.server.net;
