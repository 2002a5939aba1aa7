/**
 * The server's maintenance runs (prune, gc, verify), scheduled or asked for: which are running
 * and how the recent ones ended, for the status API, the metrics and the audit log.
 */
package io.ckpt.jobs;
