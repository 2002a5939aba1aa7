/**
 * Who may reach the server and what each may do: the private certificate authority and the
 * server's TLS identity ({@link io.ckpt.security.SecurityDir}), host credentials (tokens and client
 * certificates, stored as hashes and fingerprints), roles, and the check every request passes
 * ({@link io.ckpt.security.Access}). docs/SECURITY.md is the operator's view.
 */
package io.ckpt.security;
