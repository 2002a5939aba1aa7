/**
 * Answers the protocol's JSON requests (list, show, select) from the catalog, and selects the
 * checkpoint a restore means ({@code --id}, {@code --latest}, {@code --at}) with pure functions.
 */
package io.ckpt.query;
