/**
 * The client side of the protocol: connects, shakes hands, uploads checkpoints, sends requests
 * and receives restores, with backpressure both ways. Used by the CLI and (later) the agent.
 */
package io.ckpt.agent.net;
