/**
 * The SQLite catalog, through Jdbi: which WPARs, checkpoints, parts, chunks and packs exist.
 * One DAO per table, schema changed only by numbered migrations under
 * {@code resources/io/ckpt/catalog/migration}. The catalog is an index over the datastore.
 */
package io.ckpt.catalog;
