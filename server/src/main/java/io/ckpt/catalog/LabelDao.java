package io.ckpt.catalog;

import java.util.List;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** The labels table: free-form {@code KEY=VALUE} or plain-word labels of a checkpoint. */
public interface LabelDao {
    @SqlBatch("INSERT OR IGNORE INTO labels (checkpoint_id, label) VALUES (:id, :label)")
    void add(@Bind("id") long checkpointId, @Bind("label") List<String> labels);

    /** The checkpoint's labels, sorted; a row past the limits ingest enforces fails naming the checkpoint. */
    default List<String> of(long checkpointId) {
        return RowLimits.labels(checkpointId, unchecked(checkpointId));
    }

    @SqlQuery("SELECT label FROM labels WHERE checkpoint_id = ? ORDER BY label LIMIT 1000")
    List<String> unchecked(long checkpointId);
}
