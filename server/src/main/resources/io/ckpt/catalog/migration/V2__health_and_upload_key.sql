-- Version 2: health with its reason and time, and idempotent uploads.
ALTER TABLE checkpoints ADD COLUMN health_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE checkpoints ADD COLUMN health_at INTEGER;
-- An agent's key for one checkpoint: a retried upload with the same key is the same checkpoint.
ALTER TABLE checkpoints ADD COLUMN upload_key TEXT;
CREATE UNIQUE INDEX checkpoints_by_upload_key ON checkpoints (wpar, upload_key) WHERE upload_key IS NOT NULL;
