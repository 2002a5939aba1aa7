package io.ckpt.chunk;

/**
 * Sizes for {@link ContentDefinedChunker}: every chunk but a stream's last is between
 * {@code minSize} and {@code maxSize} bytes, and on random data averages about {@code avgSize}.
 *
 * <p>The defaults were chosen by measurement on memory-image-like data: see docs/FORMAT.md,
 * "Chunk size".
 */
public record ChunkerParams(int minSize, int avgSize, int maxSize) {
    /** The datastore's chunk sizes: 2 KiB min, 8 KiB average, 64 KiB max. */
    public static final ChunkerParams DEFAULT = new ChunkerParams(2 * 1024, 8 * 1024, 64 * 1024);

    public ChunkerParams {
        if (Integer.bitCount(avgSize) != 1) {
            throw new IllegalArgumentException("avgSize must be a power of two: " + avgSize);
        }
        if (minSize < 64 || minSize >= avgSize || avgSize >= maxSize) {
            throw new IllegalArgumentException(
                    "need 64 <= minSize < avgSize < maxSize: " + minSize + ", " + avgSize + ", " + maxSize);
        }
        if (maxSize > 4 * 1024 * 1024) {
            throw new IllegalArgumentException("maxSize > 4 MiB: " + maxSize);
        }
    }
}
