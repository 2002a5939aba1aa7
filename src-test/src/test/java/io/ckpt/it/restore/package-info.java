/** End-to-end tests of restore (one round trip, emergency offline restore, restore --start): real server and agent processes over loopback (docs/TESTING.md). */
package io.ckpt.it.restore;
