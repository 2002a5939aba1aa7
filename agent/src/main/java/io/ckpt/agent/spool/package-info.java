/**
 * The agent's local spool: checkpoints taken but not yet uploaded, kept in order on disk and
 * bounded in count and bytes, so a server outage loses nothing until the spool is full.
 */
package io.ckpt.agent.spool;
