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
    /** Multiple of which {@link #existing} pads its digest list. */
    int EXISTING_PAD = 64;

    /**
     * Which of {@code digests} the table holds. The list is padded to a multiple of
     * {@link #EXISTING_PAD} by repeating its last digest (an IN list ignores repeats), so that the
     * statement's text repeats from batch to batch: Jdbi caches parsed SQL by its text, and every
     * distinct list length was otherwise lexed anew (ANTLR) and prepared anew.
     */
    default List<byte[]> existing(List<byte[]> digests) {
        return existingIn(padded(digests));
    }

    /** {@code digests} padded to a multiple of {@link #EXISTING_PAD} by repeating the last one (see {@link #existing}). */
    static List<byte[]> padded(List<byte[]> digests) {
        int padded = (digests.size() + EXISTING_PAD - 1) / EXISTING_PAD * EXISTING_PAD;
        if (padded == digests.size()) {
            return digests;
        }
        List<byte[]> list = new java.util.ArrayList<>(padded);
        list.addAll(digests);
        byte[] last = digests.get(digests.size() - 1);
        while (list.size() < padded) {
            list.add(last);
        }
        return list;
    }

    /**
     * The dedup scope of an upload (docs/PROTOCOL.md, "Dedup scope"): which of {@code digests}
     * a complete checkpoint of {@code tenant} uses, or upload {@code checkpointId} sent or listed
     * itself (a delta upload only lists chunks already in scope, so for it that adds nothing). When
     * no checkpoint of another tenant exists, that is every chunk the table holds, found without the
     * join. One statement per call, the list padded as in {@link #existing}.
     */
    default List<Stored> inScope(List<byte[]> digests, String tenant, long checkpointId) {
        if (!otherTenants(tenant)) {
            return storedIn(padded(digests));
        }
        return usedByTenantOrSentIn(padded(digests), tenant, checkpointId);
    }

    /** A stored chunk's digest and raw length. */
    record Stored(byte[] digest, int raw) {}

    @SqlQuery("SELECT digest, raw_length AS raw FROM chunks WHERE digest IN (<digests>)")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(Stored.class)
    List<Stored> storedIn(@BindList("digests") List<byte[]> digests);

    /** Whether a checkpoint (any state) of a tenant other than {@code tenant} exists; an index seek. */
    @SqlQuery("SELECT EXISTS (SELECT 1 FROM checkpoints WHERE tenant < :tenant OR tenant > :tenant)")
    boolean otherTenants(@Bind("tenant") String tenant);

    /** Per stored digest, an EXISTS that stops at the first use it finds: a chunk used a million times costs one probe. */
    @SqlQuery("""
            SELECT k.digest, k.raw_length AS raw FROM chunks k WHERE k.digest IN (<digests>) AND (
              EXISTS (SELECT 1 FROM upload_chunks u WHERE u.digest = k.digest AND u.checkpoint_id = :cp)
              OR EXISTS (SELECT 1 FROM part_chunks pc JOIN parts p ON p.id = pc.part_id JOIN checkpoints c ON c.id = p.checkpoint_id
                         WHERE pc.digest = k.digest AND ((c.state = 'complete' AND c.tenant = :tenant) OR c.id = :cp)))""")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(Stored.class)
    List<Stored> usedByTenantOrSentIn(@BindList("digests") List<byte[]> digests, @Bind("tenant") String tenant,
            @Bind("cp") long checkpointId);

    /** Records chunks a delta upload sent: they are in its scope, and garbage collection leaves them alone. */
    @SqlBatch("INSERT OR IGNORE INTO upload_chunks (checkpoint_id, digest) VALUES (:cp, :digest)")
    void sentBy(@Bind("cp") long checkpointId, @Bind("digest") List<byte[]> digests);

    /** Forgets what an upload sent once its chunk lists are committed (they now hold the chunks). */
    @SqlUpdate("DELETE FROM upload_chunks WHERE checkpoint_id = ?")
    int forgetSent(long checkpointId);

    @SqlQuery("SELECT digest FROM chunks WHERE digest IN (<digests>)")
    List<byte[]> existingIn(@BindList("digests") List<byte[]> digests);

    /** Inserts locations; a digest stored meanwhile by another upload keeps its first location. */
    @SqlBatch("INSERT OR IGNORE INTO chunks (digest, pack_id, offset, raw_length, stored_length, codec) "
            + "VALUES (:digest, :pack, :offset, :raw, :stored, :codec)")
    void add(@Bind("digest") List<byte[]> digests, @Bind("pack") List<Long> packIds, @Bind("offset") List<Long> offsets,
            @Bind("raw") List<Integer> raw, @Bind("stored") List<Integer> stored, @Bind("codec") List<Integer> codec);

    /** Forgets chunks in the torn tail of a pack that was open when the server stopped. */
    @SqlUpdate("DELETE FROM chunks WHERE pack_id = :pack AND offset >= :from")
    int forgetFrom(@Bind("pack") long packId, @Bind("from") long fromOffset);

    /**
     * Forgets the chunks at these offsets of one pack (records that fail their check at recovery):
     * an upload must store such a chunk anew rather than deduplicate onto a record that cannot be read.
     */
    @SqlBatch("DELETE FROM chunks WHERE pack_id = :pack AND offset = :offset")
    int[] forgetAt(@Bind("pack") long packId, @Bind("offset") List<Long> offsets);

    /**
     * The next page of chunk locations in pack order, after ({@code pack}, {@code offset}) and in
     * packs up to {@code throughPack}; an index range over {@code chunks_by_pack}.
     */
    @RegisterRowMapper(ChunkRef.Mapper.class)
    @SqlQuery("""
            SELECT 0 AS seq, digest, pack_id, offset, raw_length, stored_length, codec FROM chunks
            WHERE (pack_id > :pack OR (pack_id = :pack AND offset > :offset)) AND pack_id <= :through
            ORDER BY pack_id, offset LIMIT :limit""")
    List<ChunkRef> pageInPackOrder(@Bind("pack") long packId, @Bind("offset") long offset,
            @Bind("through") long throughPack, @Bind("limit") int limit);

    /** Up to {@code limit} chunks no chunk list uses (garbage), with their sizes. */
    @RegisterRowMapper(ChunkRef.Mapper.class)
    @SqlQuery("""
            SELECT 0 AS seq, digest, pack_id, offset, raw_length, stored_length, codec FROM chunks c
            WHERE NOT EXISTS (SELECT 1 FROM part_chunks pc WHERE pc.digest = c.digest)
            AND NOT EXISTS (SELECT 1 FROM upload_chunks u WHERE u.digest = c.digest) LIMIT :limit""")
    List<ChunkRef> unreferenced(@Bind("limit") int limit);

    /** Deletes the given chunks if still no chunk list uses them; returns how many went. */
    @SqlUpdate("""
            DELETE FROM chunks WHERE digest IN (<digests>)
            AND NOT EXISTS (SELECT 1 FROM part_chunks pc WHERE pc.digest = chunks.digest)
            AND NOT EXISTS (SELECT 1 FROM upload_chunks u WHERE u.digest = chunks.digest)""")
    int deleteIfUnreferenced(@BindList("digests") List<byte[]> digests);

    /** Live chunks of one pack, in file order. */
    @RegisterRowMapper(ChunkRef.Mapper.class)
    @SqlQuery("SELECT 0 AS seq, digest, pack_id, offset, raw_length, stored_length, codec FROM chunks WHERE pack_id = ? ORDER BY offset")
    List<ChunkRef> inPack(long packId);

    /** Moves a chunk to its copy in a new pack (compaction). */
    @SqlUpdate("UPDATE chunks SET pack_id = :newPack, offset = :newOffset WHERE digest = :digest AND pack_id = :oldPack")
    int move(@Bind("digest") byte[] digest, @Bind("oldPack") long oldPack, @Bind("newPack") long newPack,
            @Bind("newOffset") long newOffset);

    /** Live bytes (records included) per sealed pack. */
    @SqlQuery("""
            SELECT p.id AS id, p.size AS size, COALESCE(SUM(c.stored_length + 46), 0) AS live FROM packs p
            LEFT JOIN chunks c ON c.pack_id = p.id WHERE p.state = 'sealed' GROUP BY p.id, p.size ORDER BY p.id""")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(PackUse.class)
    List<PackUse> packUse();

    /** Garbage per pack: chunks no chunk list uses, and their record bytes. */
    @SqlQuery("""
            SELECT pack_id AS id, COUNT(*) AS chunks, COALESCE(SUM(stored_length + 46), 0) AS bytes FROM chunks c
            WHERE NOT EXISTS (SELECT 1 FROM part_chunks pc WHERE pc.digest = c.digest)
            AND NOT EXISTS (SELECT 1 FROM upload_chunks u WHERE u.digest = c.digest) GROUP BY pack_id""")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(PackGarbage.class)
    List<PackGarbage> garbageByPack();

    /** Unused chunks in one pack (neither in a chunk list nor sent by a delta upload in progress). */
    record PackGarbage(long id, long chunks, long bytes) {}

    /** A sealed pack's size and the bytes of it still used. */
    record PackUse(long id, long size, long live) {}

    @SqlQuery("SELECT COUNT(*) FROM chunks")
    long count();

    @SqlQuery("SELECT COALESCE(SUM(stored_length), 0) FROM chunks")
    long storedBytes();
}
