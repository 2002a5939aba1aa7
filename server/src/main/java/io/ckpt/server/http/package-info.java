/**
 * The HTTP listener for operators ({@code ckpt server --http}): the pipeline and the one handler
 * that routes {@code /metrics}, {@code /api/v1/...} and the status page's static files to
 * {@link io.ckpt.status}. Read-only: nothing here changes the datastore.
 */
package io.ckpt.server.http;
