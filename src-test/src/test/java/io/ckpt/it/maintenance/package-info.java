/** End-to-end tests of maintenance (gc, prune, verify, progress notices): real server and agent processes over loopback (docs/TESTING.md). */
package io.ckpt.it.maintenance;
