package io.ckpt.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * FastCDC cut points: fixed for given bytes, bounded by the sizes, averaging near the target on
 * random data, and local, so that an insertion disturbs only the chunks around it.
 */
final class ContentDefinedChunkerTest {

    static Stream<ChunkerParams> params() {
        return Stream.of(
                ChunkerParams.DEFAULT,
                new ChunkerParams(4 * 1024, 16 * 1024, 64 * 1024),
                new ChunkerParams(8 * 1024, 32 * 1024, 256 * 1024),
                new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024));
    }

    @Test
    void sameInputGivesSameCutPoints() {
        byte[] data = random(11, 4 << 20);
        List<Integer> first = chunkLengths(new ContentDefinedChunker(ChunkerParams.DEFAULT), data);
        List<Integer> second = chunkLengths(new ContentDefinedChunker(ChunkerParams.DEFAULT), data.clone());
        assertEquals(first, second);
        assertEquals(data.length, first.stream().mapToLong(Integer::intValue).sum());
    }

    /**
     * The gear table and the masks are part of the chunk format: if these cut points change,
     * no new chunk matches any stored one and every datastore stops deduplicating.
     */
    @Test
    void cutPointsOfASeededInputAreAKnownAnswer() {
        List<Integer> lengths = chunkLengths(new ContentDefinedChunker(ChunkerParams.DEFAULT), random(11, 1 << 20));
        assertEquals(List.of(8584, 9128, 3390, 12684, 13882, 9057, 13392, 8813, 12619, 11963), lengths.subList(0, 10));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("params")
    void everyChunkButTheLastIsWithinMinAndMax(ChunkerParams p) {
        for (byte[] data : List.of(random(21, 8 << 20), text(22, 8 << 20), repeating(8 << 20))) {
            List<Integer> lengths = chunkLengths(new ContentDefinedChunker(p), data);
            for (int i = 0; i < lengths.size() - 1; i++) {
                int n = lengths.get(i);
                assertTrue(n >= p.minSize() && n <= p.maxSize(), "chunk " + i + " of " + n + " bytes outside " + p);
            }
            int last = lengths.get(lengths.size() - 1);
            assertTrue(last >= 1 && last <= p.maxSize(), "last chunk of " + last + " bytes");
        }
    }

    /**
     * Normalized chunking (level 2) with minSize = avgSize / 4 lands at about 1.15 x avgSize:
     * few cuts before avgSize under the strict mask, then about avgSize / 4 more under the loose one.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("params")
    void averageChunkOnRandomDataIsNearAvgSize(ChunkerParams p) {
        List<Integer> lengths = chunkLengths(new ContentDefinedChunker(p), random(31, 16 << 20));
        double mean = lengths.subList(0, lengths.size() - 1).stream().mapToInt(Integer::intValue).average().orElseThrow();
        assertTrue(mean >= 0.9 * p.avgSize() && mean <= 1.4 * p.avgSize(),
                "mean chunk " + Math.round(mean) + " outside [0.9, 1.4] x " + p.avgSize());
    }

    @Test
    void insertionNearTheStartChangesOnlyTheFirstChunks() {
        byte[] original = random(41, 4 << 20);
        byte[] edited = insert(original, 100, "inserted".getBytes(StandardCharsets.US_ASCII));
        assertCutsRealignAfterEdit(original, edited, 100, 8);
    }

    @Test
    void insertionInTheMiddleChangesOnlyTheChunksAroundIt() {
        byte[] original = random(42, 4 << 20);
        byte[] edited = insert(original, 2 << 20, random(43, 4096));
        assertCutsRealignAfterEdit(original, edited, 2 << 20, 4096);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("params")
    void allZeroInputIsCutAtMaxSize(ChunkerParams p) {
        byte[] zeros = new byte[4 * p.maxSize() + 100];
        assertEquals(List.of(p.maxSize(), p.maxSize(), p.maxSize(), p.maxSize(), 100),
                chunkLengths(new ContentDefinedChunker(p), zeros));
    }

    @Test
    void inputNoLongerThanMinSizeIsOneChunk() {
        ContentDefinedChunker chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        byte[] data = random(51, ChunkerParams.DEFAULT.minSize());
        assertEquals(data.length, chunker.nextCut(data, 0, data.length));
        assertEquals(1, chunker.nextCut(data, 5, 1));
    }

    @Test
    void cutIsTheSameAtAnyOffsetInTheBuffer() {
        ContentDefinedChunker chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        byte[] data = random(52, 1 << 20);
        byte[] padded = new byte[data.length + 777];
        System.arraycopy(data, 0, padded, 777, data.length);
        assertEquals(chunker.nextCut(data, 0, data.length), chunker.nextCut(padded, 777, data.length));
    }

    // --- helpers -------------------------------------------------------------------------------

    /**
     * Cuts of {@code edited} after the edit region must be those of {@code original} moved by
     * the inserted length, from at most the second chunk after the edited one on.
     */
    private static void assertCutsRealignAfterEdit(byte[] original, byte[] edited, int at, int inserted) {
        ContentDefinedChunker chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        List<Long> before = cutOffsets(chunker, original);
        List<Long> after = cutOffsets(chunker, edited);

        int firstAffected = 0;
        while (before.get(firstAffected) <= at) {
            firstAffected++;
        }
        int realigned = -1;
        for (int i = firstAffected; i < after.size() && realigned < 0; i++) {
            if (before.contains(after.get(i) - inserted)) {
                realigned = i;
            }
        }
        assertTrue(realigned >= 0, "cuts never realigned");
        assertTrue(realigned - firstAffected <= 2,
                "cuts realigned only " + (realigned - firstAffected) + " chunks after the edited one");
        int j = before.indexOf(after.get(realigned) - inserted);
        assertEquals(before.subList(j, before.size()),
                after.subList(realigned, after.size()).stream().map(c -> c - inserted).toList(),
                "every cut after the realignment must be the original's, shifted by " + inserted);
    }

    static List<Integer> chunkLengths(ContentDefinedChunker chunker, byte[] data) {
        List<Integer> lengths = new ArrayList<>();
        for (int off = 0; off < data.length; ) {
            int n = chunker.nextCut(data, off, data.length - off);
            lengths.add(n);
            off += n;
        }
        return lengths;
    }

    /** End offsets of the chunks. */
    private static List<Long> cutOffsets(ContentDefinedChunker chunker, byte[] data) {
        List<Long> offsets = new ArrayList<>();
        long end = 0;
        for (int n : chunkLengths(chunker, data)) {
            end += n;
            offsets.add(end);
        }
        return offsets;
    }

    private static byte[] insert(byte[] data, int at, byte[] what) {
        byte[] out = new byte[data.length + what.length];
        System.arraycopy(data, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(data, at, out, at + what.length, data.length - at);
        return out;
    }

    private static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Words from a small vocabulary and small numbers, like logs or a heap of strings. */
    private static byte[] text(long seed, int size) {
        String[] words = {"checkpoint", "wpar", "payroll", "commit", "the", "of", "ERROR", "id=", "\n", "{\"op\":"};
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder(size + 32);
        while (sb.length() < size) {
            sb.append(words[random.nextInt(words.length)]).append(' ').append(random.nextInt(1000)).append(' ');
        }
        return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    /** A short period: the rolling hash takes few values, so it tests the max-size bound. */
    private static byte[] repeating(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) "0123456789abcdef".charAt(i & 15);
        }
        return b;
    }
}
