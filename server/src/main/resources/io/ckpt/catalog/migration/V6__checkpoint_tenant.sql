-- Version 6: dedup scope for delta uploads (docs/PROTOCOL.md, "Delta mode").
-- The tenant that uploaded each checkpoint: a delta upload may only name a chunk that a complete
-- checkpoint of its own tenant uses (or that it sent itself).
ALTER TABLE checkpoints ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
CREATE INDEX checkpoints_by_tenant ON checkpoints (tenant, state);

-- Chunks a delta upload in progress has sent: the chunks the upload may name although no
-- complete checkpoint of its tenant uses them, and a use that garbage collection respects until
-- the upload's chunk lists do (or the upload ends: the rows go with the checkpoint).
CREATE TABLE upload_chunks (
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  digest        BLOB NOT NULL,
  PRIMARY KEY (checkpoint_id, digest)
) WITHOUT ROWID;
CREATE INDEX upload_chunks_by_digest ON upload_chunks (digest);
