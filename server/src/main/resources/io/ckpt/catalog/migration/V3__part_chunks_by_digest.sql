-- Version 3: find the parts that use a chunk without scanning every chunk list.
-- Garbage collection asks "is this chunk used?" for each candidate; verify maps damage to parts.
CREATE INDEX part_chunks_by_digest ON part_chunks (digest);
