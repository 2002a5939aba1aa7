/** Runs the agent's external commands (checkpoint, file-system capture, health, restart) with timeouts. */
package io.ckpt.agent.process;
