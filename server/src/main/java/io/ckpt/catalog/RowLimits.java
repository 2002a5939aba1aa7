package io.ckpt.catalog;

import java.util.List;

/**
 * Sanity limits on catalog rows read back: what ingest accepts ({@link Names}), with room to
 * spare, so that a damaged or edited catalog fails with the row named instead of feeding a
 * megabyte "WPAR name" to every list and JSON answer.
 */
final class RowLimits {
    static final int MAX_WPAR = io.ckpt.protocol.NameLimits.MAX_WPAR;
    static final int MAX_KIND = io.ckpt.protocol.NameLimits.MAX_KIND;
    static final int MAX_HOST = io.ckpt.protocol.NameLimits.MAX_HOST;
    static final int MAX_UPLOAD_KEY = io.ckpt.protocol.NameLimits.MAX_UPLOAD_KEY;
    static final int MAX_REASON = 4096;

    private RowLimits() {}

    static String text(String row, String column, String value, int max) {
        if (value != null && value.length() > max) {
            throw new CatalogRowException(row, column + " of " + value.length() + " characters, more than the limit of " + max);
        }
        return value;
    }

    static List<String> labels(long checkpointId, List<String> labels) {
        String row = "labels checkpoint_id=" + checkpointId;
        if (labels.size() > Names.MAX_LABELS) {
            throw new CatalogRowException(row, labels.size() + " labels, more than the limit of " + Names.MAX_LABELS);
        }
        for (String l : labels) {
            text(row, "label", l, Names.MAX_LABEL_LENGTH);
        }
        return labels;
    }
}
