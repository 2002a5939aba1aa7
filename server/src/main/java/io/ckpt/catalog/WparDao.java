package io.ckpt.catalog;

import java.util.List;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The wpars table: every WPAR that ever had a checkpoint uploaded. */
public interface WparDao {
    @SqlUpdate("INSERT INTO wpars (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
    void ensure(String name, long now);

    @SqlQuery("SELECT COUNT(*) > 0 FROM wpars WHERE name = ?")
    boolean exists(String name);

    @SqlQuery("SELECT name FROM wpars ORDER BY name")
    List<String> names();
}
