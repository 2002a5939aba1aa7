package io.ckpt.catalog;

import java.util.List;

/**
 * Sanity limits on catalog rows read back: what ingest accepts ({@link Names}), with room to
 * spare, so that a damaged or edited catalog fails with the row named instead of feeding a
 * megabyte "WPAR name" to every list and JSON answer.
 */
final class RowLimits {
    static final int MAX_WPAR = 64;
    static final int MAX_KIND = 32;
    static final int MAX_HOST = 256;
    static final int MAX_UPLOAD_KEY = 128;
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
