package io.ckpt.catalog;

import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** The part_chunks table: each part's chunk digests in order. Written in batches, read in pages. */
@RegisterRowMapper(ChunkRef.Mapper.class)
public interface PartChunkDao {
    @SqlBatch("INSERT INTO part_chunks (part_id, seq, digest) VALUES (:part, :seq, :digest)")
    void add(@Bind("part") long partId, @Bind("seq") List<Integer> seq, @Bind("digest") List<byte[]> digests);

    /** A checkpoint part (id and name) that uses one of the given digests. */
    record PartUse(long checkpointId, String partName) {}

    /** The parts that use any of {@code digests}, each once. */
    @SqlQuery("""
            SELECT DISTINCT p.checkpoint_id AS checkpoint_id, p.name AS part_name FROM part_chunks pc
            JOIN parts p ON p.id = pc.part_id WHERE pc.digest IN (<digests>)""")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(PartUse.class)
    List<PartUse> partsUsing(@org.jdbi.v3.sqlobject.customizer.BindList("digests") List<byte[]> digests);

    /** Parts whose chunk list names a digest the chunks table does not know (a broken reference). */
    @SqlQuery("""
            SELECT DISTINCT p.checkpoint_id AS checkpoint_id, p.name AS part_name FROM part_chunks pc
            JOIN parts p ON p.id = pc.part_id LEFT JOIN chunks c ON c.digest = pc.digest WHERE c.digest IS NULL""")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(PartUse.class)
    List<PartUse> partsWithMissingChunks();

    /** Up to {@code limit} chunks of a part from {@code fromSeq} on, with their locations. */
    @SqlQuery("""
            SELECT pc.seq, pc.digest, COALESCE(c.pack_id, 0) AS pack_id, COALESCE(c.offset, 0) AS offset,
                   COALESCE(c.raw_length, 0) AS raw_length, COALESCE(c.stored_length, 0) AS stored_length,
                   COALESCE(c.codec, 0) AS codec
            FROM part_chunks pc LEFT JOIN chunks c ON c.digest = pc.digest
            WHERE pc.part_id = :part AND pc.seq >= :from ORDER BY pc.seq LIMIT :limit""")
    List<ChunkRef> page(@Bind("part") long partId, @Bind("from") int fromSeq, @Bind("limit") int limit);
}
