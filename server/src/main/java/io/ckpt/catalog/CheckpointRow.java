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
            return new CheckpointRow(
                    rs.getLong("id"),
                    rs.getString("wpar"),
                    rs.getLong("taken_at"),
                    rs.getString("kind"),
                    rs.getString("state"),
                    rs.getString("health"),
                    rs.getInt("protected") != 0,
                    rs.getString("host"),
                    rs.getLong("logical_bytes"),
                    rs.getLong("stored_bytes"),
                    rs.getLong("chunk_count"),
                    rs.getLong("new_chunk_count"),
                    rs.getInt("part_count"),
                    rs.getLong("created_at"),
                    completedAt,
                    rs.getString("health_reason"),
                    rs.getString("upload_key"));
        }
    }
}
