/**
 * Turns local files, directories and streams into the parts of one checkpoint upload, shared by
 * {@code ckpt push} and the agent daemon.
 */
package io.ckpt.agent.upload;
