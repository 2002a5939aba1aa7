/**
 * How a failure is told to a client: the one mapping from the server's exception types to the
 * protocol's {@link io.ckpt.protocol.ErrorCode} and the message sent with it, used by the server's
 * error replies and by the agent's offline paths that read a datastore in process.
 */
package io.ckpt.errors;
