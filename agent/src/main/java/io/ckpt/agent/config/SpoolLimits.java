package io.ckpt.agent.config;

/**
 * How much the local spool may hold of checkpoints taken while the server is unreachable ({@code spool:}).
 *
 * @param maxBytes {@code max-bytes}, default {@code 10GiB}; more than 0
 * @param maxCheckpoints {@code max-checkpoints}, default {@code 24}; at least 1; all WPARs together
 * @param maxCheckpointsPerWpar {@code max-checkpoints-per-wpar}, default {@code max-checkpoints}; at least 1
 */
public record SpoolLimits(ByteSize maxBytes, int maxCheckpoints, int maxCheckpointsPerWpar) {
    public static final SpoolLimits DEFAULT = new SpoolLimits(ByteSize.parse("10GiB"), 24);

    /** With no limit per WPAR beyond the total. */
    public SpoolLimits(ByteSize maxBytes, int maxCheckpoints) {
        this(maxBytes, maxCheckpoints, maxCheckpoints);
    }

    public SpoolLimits {
        if (maxBytes.bytes() <= 0) {
            throw new IllegalArgumentException("max-bytes must be more than 0");
        }
        if (maxCheckpoints < 1) {
            throw new IllegalArgumentException("max-checkpoints must be at least 1: " + maxCheckpoints);
        }
        if (maxCheckpointsPerWpar < 1) {
            throw new IllegalArgumentException("max-checkpoints-per-wpar must be at least 1: " + maxCheckpointsPerWpar);
        }
    }
}
