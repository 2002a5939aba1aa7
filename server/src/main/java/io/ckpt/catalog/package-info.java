/**
 * The SQLite catalog, through Jdbi: which WPARs, checkpoints, parts, chunks and packs exist.
 * One DAO per table, schema changed only by numbered migrations under
 * {@code resources/io/ckpt/catalog/migration}. The catalog is an index over the datastore. The
 * rules every layer checks rows against sit here too: WPAR and label names ({@link
 * io.ckpt.catalog.Names}) and the upload fence on a WPAR's owner and epoch ({@link
 * io.ckpt.catalog.UploadFence}).
 */
package io.ckpt.catalog;
