package io.ckpt.catalog;

import java.util.List;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The wpars table: every WPAR that ever had a checkpoint uploaded. */
public interface WparDao {
    @SqlUpdate("INSERT INTO wpars (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
    void ensure(String name, long now);

    /** A WPAR's owning host (null when none has claimed it) and ownership epoch. */
    record Owner(String name, String ownerHost, long epoch) {}

    @SqlQuery("SELECT name, owner_host, epoch FROM wpars WHERE name = ?")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(Owner.class)
    java.util.Optional<Owner> owner(String name);

    @SqlQuery("SELECT name, owner_host, epoch FROM wpars ORDER BY name")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(Owner.class)
    List<Owner> owners();

    @SqlUpdate("UPDATE wpars SET owner_host = ?, epoch = ? WHERE name = ?")
    int setOwner(String host, long epoch, String name);

    @SqlQuery("SELECT COUNT(*) > 0 FROM wpars WHERE name = ?")
    boolean exists(String name);

    @SqlQuery("SELECT name FROM wpars ORDER BY name")
    List<String> names();
}
