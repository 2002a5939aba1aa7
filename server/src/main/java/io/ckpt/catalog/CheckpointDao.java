package io.ckpt.catalog;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.GetGeneratedKeys;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The checkpoints table. Only complete checkpoints are ever selected for restore. */
@RegisterRowMapper(CheckpointRow.Mapper.class)
public interface CheckpointDao {
    @SqlUpdate("INSERT INTO checkpoints (wpar, taken_at, kind, state, host, created_at, upload_key, health, health_reason, health_at) "
            + "VALUES (:wpar, :takenAt, :kind, 'uploading', :host, :now, :key, :health, :reason, :now)")
    @GetGeneratedKeys("id")
    long create(@Bind("wpar") String wpar, @Bind("takenAt") long takenAt, @Bind("kind") String kind,
            @Bind("host") String host, @Bind("now") long now, @Bind("key") String uploadKey,
            @Bind("health") String health, @Bind("reason") String healthReason);

    /** A checkpoint without upload key, health unknown. */
    default long create(String wpar, long takenAt, String kind, String host, long now) {
        return create(wpar, takenAt, kind, host, now, null, "unknown", "");
    }

    /** Records the tenant that uploads the checkpoint (docs/PROTOCOL.md, "Dedup scope"). */
    @SqlUpdate("UPDATE checkpoints SET tenant = :tenant WHERE id = :id")
    int setTenant(@Bind("id") long id, @Bind("tenant") String tenant);

    /** The tenant a checkpoint belongs to (docs/SECURITY.md, "Tenants"): who may see it. */
    @SqlQuery("SELECT tenant FROM checkpoints WHERE id = ?")
    Optional<String> tenantOf(long id);

    /** The ids of every checkpoint (any state) of {@code tenant}. */
    @SqlQuery("SELECT id FROM checkpoints WHERE tenant = ?")
    List<Long> idsOf(String tenant);

    /** Whether WPAR {@code wpar} has a checkpoint (any state) of {@code tenant}: it is then that tenant's to see. */
    @SqlQuery("SELECT EXISTS (SELECT 1 FROM checkpoints WHERE wpar = ? AND tenant = ?)")
    boolean hasTenant(String wpar, String tenant);

    @SqlUpdate("UPDATE checkpoints SET protected = :protected WHERE id = :id")
    int setProtected(@Bind("id") long id, @Bind("protected") boolean isProtected);

    @SqlQuery("SELECT * FROM checkpoints WHERE wpar = ? AND upload_key = ?")
    Optional<CheckpointRow> findByKey(String wpar, String uploadKey);

    @SqlUpdate("UPDATE checkpoints SET health = :health, health_reason = :reason, health_at = :now WHERE id = :id")
    int setHealth(@Bind("id") long id, @Bind("health") String health, @Bind("reason") String reason, @Bind("now") long now);

    @SqlUpdate("""
            UPDATE checkpoints SET state = 'complete', logical_bytes = :logical, stored_bytes = :stored,
              chunk_count = :chunks, new_chunk_count = :newChunks, part_count = :parts, completed_at = :now
            WHERE id = :id AND state = 'uploading'""")
    int markComplete(@Bind("id") long id, @Bind("logical") long logical, @Bind("stored") long stored,
            @Bind("chunks") long chunks, @Bind("newChunks") long newChunks, @Bind("parts") int parts,
            @Bind("now") long now);

    @SqlUpdate("DELETE FROM checkpoints WHERE id = ?")
    int delete(long id);

    /** Removes an upload that did not complete; a complete checkpoint is never touched (0 returned). */
    @SqlUpdate("DELETE FROM checkpoints WHERE id = ? AND state <> 'complete'")
    int deleteUnlessComplete(long id);

    @SqlQuery("SELECT * FROM checkpoints WHERE id = ?")
    Optional<CheckpointRow> find(long id);

    @SqlQuery("SELECT * FROM checkpoints WHERE state = 'complete' ORDER BY taken_at, id")
    List<CheckpointRow> listComplete();

    @SqlQuery("SELECT * FROM checkpoints WHERE state = 'complete' AND wpar = ? ORDER BY taken_at, id")
    List<CheckpointRow> listComplete(String wpar);

    @SqlQuery("SELECT * FROM checkpoints ORDER BY taken_at, id")
    List<CheckpointRow> listAll();

    @SqlQuery("SELECT * FROM checkpoints WHERE wpar = ? ORDER BY taken_at, id")
    List<CheckpointRow> listAll(String wpar);

    @SqlQuery("SELECT * FROM checkpoints WHERE state = 'complete' AND wpar = ? AND taken_at <= ? "
            + "ORDER BY taken_at DESC, id DESC LIMIT 1")
    Optional<CheckpointRow> newestAtOrBefore(String wpar, long time);

    @SqlQuery("SELECT * FROM checkpoints WHERE state = 'complete' AND wpar = ? ORDER BY taken_at DESC, id DESC LIMIT 1")
    Optional<CheckpointRow> newest(String wpar);

    @SqlQuery("SELECT * FROM checkpoints WHERE state = 'complete' AND wpar = ? ORDER BY taken_at ASC, id ASC LIMIT 1")
    Optional<CheckpointRow> oldest(String wpar);

    @SqlQuery("SELECT id FROM checkpoints WHERE state <> 'complete'")
    List<Long> incomplete();

    @SqlQuery("SELECT id FROM checkpoints")
    List<Long> ids();

    /**
     * The largest checkpoint id this catalog ever handed out (AUTOINCREMENT never reuses one), 0
     * before the first: an id at or below it with no row is one the catalog deleted.
     */
    @SqlQuery("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'checkpoints'), 0)")
    long highestIdAssigned();
}
