/**
 * Reads a datastore in the client's process, without a server: the emergency restore
 * ({@code ckpt restore --datastore}) and the offline audit ({@code ckpt audit --datastore}), with
 * the server's own catalog, restorer and audit reader, read-only. It implements the agent's
 * {@link io.ckpt.agent.offline.OfflineDatastore}; its module builds offline/target/ckpt-offline.jar
 * (client, server and this), which bin/ckpt runs for {@code --datastore}, so that the client jar
 * carries none of the server's classes.
 */
package io.ckpt.offline;
