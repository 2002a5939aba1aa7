package io.ckpt.catalog;

import java.util.Optional;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** Key-value facts about the catalog itself, such as the datastore it belongs to. */
public interface MetaDao {
    @SqlQuery("SELECT value FROM meta WHERE key = ?")
    Optional<String> get(String key);

    @SqlUpdate("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    void put(String key, String value);
}
