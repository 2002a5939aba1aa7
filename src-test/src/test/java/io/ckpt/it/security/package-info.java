/** End-to-end tests of security (access by object, tenants, TLS and tokens, fencing, audit): real server and agent processes over loopback (docs/TESTING.md). */
package io.ckpt.it.security;
