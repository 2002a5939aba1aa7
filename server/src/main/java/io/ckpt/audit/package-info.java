/**
 * The audit log: an append-only record under the datastore of who did what to which WPAR or
 * checkpoint and how it ended (docs/OPERATIONS.md, "Audit log").
 */
package io.ckpt.audit;
