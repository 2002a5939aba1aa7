/**
 * The seam to the offline jar: what the client asks of a datastore it reads without a server
 * ({@code ckpt restore --datastore}, {@code ckpt audit --datastore}), declared here and
 * implemented by the offline module, which the client jar leaves out with the server's classes.
 */
package io.ckpt.agent.offline;
