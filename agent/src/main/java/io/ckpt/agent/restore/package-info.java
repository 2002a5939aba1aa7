/**
 * Brings a WPAR back from a stored checkpoint: restores it into a directory (staged, verified, then
 * moved into place), takes or confirms ownership of the WPAR on the server, runs its restart
 * command and health check, and falls back to older good checkpoints when it does not come up
 * healthy. Used by {@code ckpt restore} and meant for the agent daemon's relocation and failover.
 */
package io.ckpt.agent.restore;
