/** End-to-end tests of what an operator sees (CLI, status page and API, alerts, server config and lifecycle): real server and agent processes over loopback (docs/TESTING.md). */
package io.ckpt.it.operator;
