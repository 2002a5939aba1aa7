package io.ckpt.catalog;

import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/** One row of the parts table. */
public record PartRow(long id, long checkpointId, int seq, PartInfo info, long size, byte[] sha256, long chunkCount) {

    public static final class Mapper implements RowMapper<PartRow> {
        @Override
        public PartRow map(ResultSet rs, StatementContext ctx) throws SQLException {
            PartInfo info;
            try {
                info = new PartInfo(rs.getString("name"), PartType.of(rs.getInt("type")),
                        rs.getInt("mode"), rs.getLong("mtime"), rs.getString("link_target"));
            } catch (IllegalArgumentException e) { // PartInfo's own limits: name and target length, no NUL, known type
                throw new CatalogRowException("parts id=" + rs.getLong("id") + " (checkpoint " + rs.getLong("checkpoint_id")
                        + ")", e.getMessage());
            }
            return new PartRow(rs.getLong("id"), rs.getLong("checkpoint_id"), rs.getInt("seq"), info,
                    rs.getLong("size"), rs.getBytes("sha256"), rs.getLong("chunk_count"));
        }
    }
}
