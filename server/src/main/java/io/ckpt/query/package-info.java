/**
 * Answers the protocol's JSON requests (list, show, select) from the catalog; which checkpoint a
 * select means ({@code --id}, {@code --latest}, {@code --at}) is {@code io.ckpt.restore.Selection}'s.
 */
package io.ckpt.query;
