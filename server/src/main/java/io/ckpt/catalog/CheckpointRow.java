package io.ckpt.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/** One row of the checkpoints table. Times in milliseconds since the epoch. */
public record CheckpointRow(
        long id,
        String wpar,
        long takenAt,
        String kind,
        String state,
        String health,
        boolean isProtected,
        String host,
        long logicalBytes,
        long storedBytes,
        long chunkCount,
        long newChunkCount,
        int partCount,
        long createdAt,
        Long completedAt,
        String healthReason,
        String uploadKey) {

    /** A row without health reason or upload key. */
    public CheckpointRow(long id, String wpar, long takenAt, String kind, String state, String health,
            boolean isProtected, String host, long logicalBytes, long storedBytes, long chunkCount, long newChunkCount,
            int partCount, long createdAt, Long completedAt) {
        this(id, wpar, takenAt, kind, state, health, isProtected, host, logicalBytes, storedBytes, chunkCount,
                newChunkCount, partCount, createdAt, completedAt, "", null);
    }

    public boolean isComplete() {
        return "complete".equals(state);
    }

    public boolean isGood() {
        return "good".equals(health);
    }

    /** Maps {@code SELECT * FROM checkpoints}. */
    public static final class Mapper implements RowMapper<CheckpointRow> {
        @Override
        public CheckpointRow map(ResultSet rs, StatementContext ctx) throws SQLException {
            long completed = rs.getLong("completed_at");
            Long completedAt = rs.wasNull() ? null : completed;
            long id = rs.getLong("id");
            String row = "checkpoints id=" + id;
            return new CheckpointRow(
                    id,
                    RowLimits.text(row, "wpar", rs.getString("wpar"), RowLimits.MAX_WPAR),
                    rs.getLong("taken_at"),
                    RowLimits.text(row, "kind", rs.getString("kind"), RowLimits.MAX_KIND),
                    RowLimits.text(row, "state", rs.getString("state"), RowLimits.MAX_KIND),
                    RowLimits.text(row, "health", rs.getString("health"), RowLimits.MAX_KIND),
                    rs.getInt("protected") != 0,
                    RowLimits.text(row, "host", rs.getString("host"), RowLimits.MAX_HOST),
                    rs.getLong("logical_bytes"),
                    rs.getLong("stored_bytes"),
                    rs.getLong("chunk_count"),
                    rs.getLong("new_chunk_count"),
                    rs.getInt("part_count"),
                    rs.getLong("created_at"),
                    completedAt,
                    RowLimits.text(row, "health_reason", rs.getString("health_reason"), RowLimits.MAX_REASON),
                    RowLimits.text(row, "upload_key", rs.getString("upload_key"), RowLimits.MAX_UPLOAD_KEY));
        }
    }
}
