-- Catalog schema, version 1. Times are milliseconds since the epoch, UTC.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE wpars (
  name       TEXT PRIMARY KEY,
  owner_host TEXT,
  epoch      INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

CREATE TABLE checkpoints (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  wpar            TEXT NOT NULL REFERENCES wpars(name),
  taken_at        INTEGER NOT NULL,
  kind            TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('uploading', 'complete', 'failed')),
  health          TEXT NOT NULL DEFAULT 'unknown' CHECK (health IN ('unknown', 'good', 'bad')),
  protected       INTEGER NOT NULL DEFAULT 0,
  host            TEXT NOT NULL DEFAULT '',
  logical_bytes   INTEGER NOT NULL DEFAULT 0,
  stored_bytes    INTEGER NOT NULL DEFAULT 0,
  chunk_count     INTEGER NOT NULL DEFAULT 0,
  new_chunk_count INTEGER NOT NULL DEFAULT 0,
  part_count      INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  completed_at    INTEGER
);
CREATE INDEX checkpoints_by_wpar_time ON checkpoints (wpar, state, taken_at);

CREATE TABLE labels (
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  label         TEXT NOT NULL,
  PRIMARY KEY (checkpoint_id, label)
) WITHOUT ROWID;

CREATE TABLE parts (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,
  name          TEXT NOT NULL,
  type          INTEGER NOT NULL,
  mode          INTEGER NOT NULL,
  mtime         INTEGER NOT NULL,
  link_target   TEXT NOT NULL DEFAULT '',
  size          INTEGER NOT NULL DEFAULT 0,
  sha256        BLOB,
  chunk_count   INTEGER NOT NULL DEFAULT 0,
  UNIQUE (checkpoint_id, seq),
  UNIQUE (checkpoint_id, name)
);

-- The ordered chunks of each part. Deleted with the part.
CREATE TABLE part_chunks (
  part_id INTEGER NOT NULL REFERENCES parts(id) ON DELETE CASCADE,
  seq     INTEGER NOT NULL,
  digest  BLOB NOT NULL,
  PRIMARY KEY (part_id, seq)
) WITHOUT ROWID;

CREATE TABLE packs (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  state      TEXT NOT NULL CHECK (state IN ('open', 'sealed')),
  size       INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  sealed_at  INTEGER
);

-- Where each chunk lives. One row per distinct SHA-256: dedup is this primary key.
CREATE TABLE chunks (
  digest        BLOB PRIMARY KEY,
  pack_id       INTEGER NOT NULL,
  offset        INTEGER NOT NULL,
  raw_length    INTEGER NOT NULL,
  stored_length INTEGER NOT NULL,
  codec         INTEGER NOT NULL
) WITHOUT ROWID;
