package io.ckpt.catalog;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The credentials table: who may connect, with which role and tenant (io.ckpt.security). */
public interface CredentialDao {
    /** One credential; {@code tokenHash} and {@code certSha256} may be null, {@code revokedAt} null while valid. */
    record Row(String name, String role, String tenant, String tokenHash, String certSha256, long createdAt,
            Long revokedAt) {
        public boolean isRevoked() {
            return revokedAt != null;
        }
    }

    @SqlUpdate("INSERT INTO credentials (name, role, tenant, token_hash, cert_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)")
    void insert(String name, String role, String tenant, String tokenHash, String certSha256, long createdAt);

    /** Replaces a revoked credential of the same name (a host given new credentials). */
    @SqlUpdate("UPDATE credentials SET role = ?, tenant = ?, token_hash = ?, cert_sha256 = ?, created_at = ?, revoked_at = NULL"
            + " WHERE name = ? AND revoked_at IS NOT NULL")
    int reissue(String role, String tenant, String tokenHash, String certSha256, long createdAt, String name);

    @SqlQuery("SELECT name, role, tenant, token_hash, cert_sha256, created_at, revoked_at FROM credentials WHERE name = ?")
    @RegisterConstructorMapper(Row.class)
    Optional<Row> byName(String name);

    @SqlQuery("SELECT name, role, tenant, token_hash, cert_sha256, created_at, revoked_at FROM credentials WHERE token_hash = ?")
    @RegisterConstructorMapper(Row.class)
    Optional<Row> byTokenHash(String tokenHash);

    @SqlQuery("SELECT name, role, tenant, token_hash, cert_sha256, created_at, revoked_at FROM credentials WHERE cert_sha256 = ?")
    @RegisterConstructorMapper(Row.class)
    Optional<Row> byCertificate(String certSha256);

    @SqlQuery("SELECT name, role, tenant, token_hash, cert_sha256, created_at, revoked_at FROM credentials ORDER BY name")
    @RegisterConstructorMapper(Row.class)
    List<Row> all();

    @SqlUpdate("UPDATE credentials SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL")
    int revoke(long now, String name);
}
