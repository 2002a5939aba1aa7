/**
 * The agent daemon: checkpoints each configured WPAR on its schedule, checks its health, spools
 * and uploads the result, and answers {@code ckpt status} and {@code checkpoint-now} on a local
 * control endpoint.
 */
package io.ckpt.agent;
