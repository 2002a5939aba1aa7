/**
 * The application health check a checkpoint records and a start waits on: the configured
 * command's exit status and output turned into good / bad / unknown with a reason.
 */
package io.ckpt.agent.health;
