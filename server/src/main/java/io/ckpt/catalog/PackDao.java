package io.ckpt.catalog;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.GetGeneratedKeys;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The packs table: which pack files exist and whether they are sealed. */
public interface PackDao {
    @SqlUpdate("INSERT INTO packs (state, created_at) VALUES ('open', ?)")
    @GetGeneratedKeys("id")
    long create(long now);

    @SqlUpdate("UPDATE packs SET state = 'sealed', size = ?, sealed_at = ? WHERE id = ?")
    void sealUpdate(long size, long now, long id);

    default void seal(long id, long size, long now) {
        sealUpdate(size, now, id);
    }

    @SqlQuery("SELECT id FROM packs WHERE state = 'open' ORDER BY id")
    List<Long> open();

    @SqlUpdate("DELETE FROM packs WHERE id = ?")
    void delete(long id);

    @SqlQuery("SELECT id FROM packs")
    List<Long> ids();

    @SqlQuery("SELECT COUNT(*) FROM packs")
    long count();

    @SqlQuery("SELECT COUNT(*) FROM packs WHERE id > ?")
    long countAfter(long id);

    /** The id of the pack {@code skip} places after the first pack whose id is above {@code after}. */
    @SqlQuery("SELECT id FROM packs WHERE id > :after ORDER BY id LIMIT 1 OFFSET :skip")
    Optional<Long> nthAfter(@Bind("after") long after, @Bind("skip") long skip);
}
