package io.ckpt.catalog;

import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.GetGeneratedKeys;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The parts table: the files, directories, links or stream of a checkpoint, in upload order. */
@RegisterRowMapper(PartRow.Mapper.class)
public interface PartDao {
    @SqlUpdate("INSERT INTO parts (checkpoint_id, seq, name, type, mode, mtime, link_target) "
            + "VALUES (:cp, :seq, :name, :type, :mode, :mtime, :target)")
    @GetGeneratedKeys("id")
    long create(@Bind("cp") long checkpointId, @Bind("seq") int seq, @Bind("name") String name,
            @Bind("type") int type, @Bind("mode") int mode, @Bind("mtime") long mtime, @Bind("target") String target);

    @SqlUpdate("UPDATE parts SET size = :size, sha256 = :sha, chunk_count = :chunks WHERE id = :id")
    void finish(@Bind("id") long id, @Bind("size") long size, @Bind("sha") byte[] sha256, @Bind("chunks") long chunks);

    @SqlQuery("SELECT * FROM parts WHERE checkpoint_id = ? ORDER BY seq")
    List<PartRow> of(long checkpointId);
}
