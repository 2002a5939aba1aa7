package io.ckpt.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The {@code seq}-th chunk of a part and where it lives. {@code packId} is 0 when the catalog
 * has no location for the digest, which a complete checkpoint must never have.
 */
public record ChunkRef(int seq, byte[] digest, long packId, long offset, int rawLength, int storedLength, int codec) {

    public static final class Mapper implements RowMapper<ChunkRef> {
        @Override
        public ChunkRef map(ResultSet rs, StatementContext ctx) throws SQLException {
            return new ChunkRef(rs.getInt("seq"), rs.getBytes("digest"), rs.getLong("pack_id"),
                    rs.getLong("offset"), rs.getInt("raw_length"), rs.getInt("stored_length"), rs.getInt("codec"));
        }
    }
}
