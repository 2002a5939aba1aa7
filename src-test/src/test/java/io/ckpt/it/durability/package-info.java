/** End-to-end tests of durability (kill -9, damaged packs, full disk, catalog rebuild, the datastore lock): real server and agent processes over loopback (docs/TESTING.md). */
package io.ckpt.it.durability;
