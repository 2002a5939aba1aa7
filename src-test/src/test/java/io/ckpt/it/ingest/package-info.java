/** End-to-end tests of ingest (push in stream and delta mode, names, limits, load): real server and agent processes over loopback (docs/TESTING.md). */
package io.ckpt.it.ingest;
