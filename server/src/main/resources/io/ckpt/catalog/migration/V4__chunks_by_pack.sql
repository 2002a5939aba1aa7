-- Version 4: read the chunks in pack order without scanning and sorting the whole table.
-- Verify pages through chunks by (pack_id, offset), a share of packs at a time when scheduled;
-- gc lists the chunks of one pack. Without this index each page was a full scan.
CREATE INDEX chunks_by_pack ON chunks (pack_id, offset);
