-- Version 5: host credentials (docs/SECURITY.md). A token is kept only as its SHA-256; a client
-- certificate as the SHA-256 of its DER encoding. A revoked credential keeps its row, so that
-- 'ckpt host list' shows when it was revoked and the name is not silently reused.
CREATE TABLE credentials (
    name         TEXT    PRIMARY KEY,
    role         TEXT    NOT NULL CHECK (role IN ('host', 'admin', 'read-only')),
    tenant       TEXT    NOT NULL DEFAULT 'default',
    token_hash   TEXT    UNIQUE,
    cert_sha256  TEXT    UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
