/**
 * What an operator sees of a running server: its Prometheus metrics, the recent and running
 * prune, gc and verify jobs, datastore usage over time, and the JSON status API
 * (docs/API.md). It reads the catalog and the server's in-memory state; it changes nothing.
 */
package io.ckpt.status;
