package io.ckpt.catalog;

import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindList;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The chunks table: one row per distinct chunk, naming its pack and offset. Ingest asks which of
 * a batch of digests exist in one query and inserts new ones in one batch, never a round trip per
 * chunk.
 */
public interface ChunkDao {
    @SqlQuery("SELECT digest FROM chunks WHERE digest IN (<digests>)")
    List<byte[]> existing(@BindList("digests") List<byte[]> digests);

    /** Inserts locations; a digest stored meanwhile by another upload keeps its first location. */
    @SqlBatch("INSERT OR IGNORE INTO chunks (digest, pack_id, offset, raw_length, stored_length, codec) "
            + "VALUES (:digest, :pack, :offset, :raw, :stored, :codec)")
    void add(@Bind("digest") List<byte[]> digests, @Bind("pack") List<Long> packIds, @Bind("offset") List<Long> offsets,
            @Bind("raw") List<Integer> raw, @Bind("stored") List<Integer> stored, @Bind("codec") List<Integer> codec);

    /** Forgets chunks in the torn tail of a pack that was open when the server stopped. */
    @SqlUpdate("DELETE FROM chunks WHERE pack_id = :pack AND offset >= :from")
    int forgetFrom(@Bind("pack") long packId, @Bind("from") long fromOffset);

    /** The next page of all chunk locations in pack order, after ({@code pack}, {@code offset}). */
    @RegisterRowMapper(ChunkRef.Mapper.class)
    @SqlQuery("""
            SELECT 0 AS seq, digest, pack_id, offset, raw_length, stored_length, codec FROM chunks
            WHERE pack_id > :pack OR (pack_id = :pack AND offset > :offset)
            ORDER BY pack_id, offset LIMIT :limit""")
    List<ChunkRef> pageInPackOrder(@Bind("pack") long packId, @Bind("offset") long offset, @Bind("limit") int limit);

    @SqlQuery("SELECT COUNT(*) FROM chunks")
    long count();

    @SqlQuery("SELECT COALESCE(SUM(stored_length), 0) FROM chunks")
    long storedBytes();
}
