package io.ckpt.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Predicting chunks from the previous version must give exactly the chunks that cutting the
 * whole file gives (same offsets, lengths and SHA-256), whatever the edit and whatever the
 * previous list, even a wrong one; and on an image with a few pages changed most bytes must come
 * from the prediction.
 */
final class PredictiveChunkerTest {
    private static final int PAGE = 4096;
    private static ExecutorService pool;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPool() {
        pool = Executors.newFixedThreadPool(3);
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
    }

    record Chunk(long offset, int length, String sha256, boolean known) {
        String identity() {
            return offset + "+" + length + ":" + sha256;
        }
    }

    @Test
    void pagesChangedInPlaceAreCutAgainAndTheRestIsPredicted() throws IOException {
        byte[] base = image(1, 6 << 20);
        byte[] next = base.clone();
        Random r = new Random(2);
        for (int cluster = 0; cluster < 12; cluster++) { // about 5% of pages, in clusters
            int page = r.nextInt(base.length / PAGE - 8);
            for (int p = page; p < page + 6; p++) {
                byte[] fresh = new byte[PAGE];
                r.nextBytes(fresh);
                System.arraycopy(fresh, 0, next, p * PAGE, PAGE);
            }
        }
        Result got = checkSameAsCutting(base, next, 3, 1 << 20, 256 << 10);
        assertTrue(got.stats.predictedBytes() > next.length * 0.80,
                () -> "predicted " + got.stats.predictedBytes() + " of " + next.length + " bytes");
        long knownBytes = got.chunks.stream().filter(Chunk::known).mapToLong(Chunk::length).sum();
        assertTrue(knownBytes >= got.stats.predictedBytes(), "every predicted chunk is known");
    }

    @Test
    void aRegionThatGrewShiftsTheRestAndThePredictionFindsItAgain() throws IOException {
        byte[] base = image(3, 5 << 20);
        byte[] grown = insert(base, 2 << 20, random(4, 300_001));
        Result got = checkSameAsCutting(base, grown, 2, 1 << 20, 256 << 10);
        assertTrue(got.stats.predictedBytes() > base.length * 0.5,
                () -> "predicted only " + got.stats.predictedBytes() + " bytes after a shift");
    }

    @Test
    void editsOfEveryKindGiveTheChunksThatCuttingGives() throws IOException {
        Random r = new Random(5);
        for (int round = 0; round < 24; round++) {
            byte[] base = image(100 + round, (1 << 20) + r.nextInt(3 << 20));
            byte[] next = switch (round % 6) {
                case 0 -> Arrays.copyOf(base, base.length - 1 - r.nextInt(100_000)); // truncated
                case 1 -> insert(base, base.length, random(round, 1 + r.nextInt(70_000))); // appended
                case 2 -> delete(base, r.nextInt(base.length / 2), 1 + r.nextInt(200_000));
                case 3 -> insert(base, r.nextInt(base.length), random(round, 1 + r.nextInt(9000)));
                case 4 -> flipBytes(base, r, 1 + r.nextInt(40));
                default -> base.clone(); // unchanged
            };
            int threads = 1 + round % 3;
            int window = (1 << 17) * (1 + r.nextInt(8));
            checkSameAsCutting(base, next, threads, window, (64 << 10) * (1 + r.nextInt(4)));
        }
    }

    @Test
    void anUnchangedImageIsPredictedWhole() throws IOException {
        byte[] base = image(7, 3 << 20);
        Result got = checkSameAsCutting(base, base.clone(), 2, 1 << 20, 256 << 10);
        assertEquals(base.length, got.stats.predictedBytes());
        assertEquals(got.chunks.size(), got.stats.predictedChunks());
    }

    @Test
    void aWrongPreviousListChangesNothingButTheWork() throws IOException {
        byte[] data = image(8, 2 << 20);
        Random r = new Random(9);
        // Lengths that no cut would give, digests of nothing in the file, and a list of another image.
        PreviousChunks.Builder junk = new PreviousChunks.Builder();
        for (int i = 0; i < 400; i++) {
            byte[] d = new byte[32];
            r.nextBytes(d);
            junk.add(1 + r.nextInt(70_000), d, 0);
        }
        assertSameChunks(cut(data), chunks(write(data), junk.build(), 2, 1 << 20, 256 << 10).chunks);
        PreviousChunks other = previous(cut(image(10, 2 << 20)));
        assertSameChunks(cut(data), chunks(write(data), other, 2, 1 << 20, 256 << 10).chunks);
    }

    @Test
    void withoutAPreviousVersionItIsPlainChunkingOnSeveralThreads() throws IOException {
        byte[] data = image(11, 5 << 20);
        Result got = chunks(write(data), PreviousChunks.NONE, 3, PredictiveChunker.PREDICTED_WINDOW,
                PredictiveChunker.CUT_WINDOW);
        assertSameChunks(cut(data), got.chunks);
        assertEquals(0, got.stats.predictedBytes());
    }

    @Test
    void theLastChunkOfThePreviousVersionIsNotTakenWhenTheFileGoesOnPastIt() throws IOException {
        // The previous version ended with a chunk cut by its end; the new one has more after it.
        byte[] base = image(12, (1 << 20) + 5000);
        byte[] longer = insert(base, base.length, random(13, 20_000));
        checkSameAsCutting(base, longer, 2, 1 << 20, 256 << 10);
    }

    // ---- helpers

    record Result(List<Chunk> chunks, PredictiveChunker.Stats stats) {}

    private Result checkSameAsCutting(byte[] base, byte[] next, int threads, int predictedWindow, int cutWindow)
            throws IOException {
        List<Chunk> expected = cut(next);
        Result got = chunks(write(next), previous(cut(base)), threads, predictedWindow, cutWindow);
        assertSameChunks(expected, got.chunks);
        assertEquals(next.length, got.stats.bytes());
        assertEquals(expected.size(), got.stats.chunks());
        return got;
    }

    private Result chunks(Path file, PreviousChunks previous, int threads, int predictedWindow, int cutWindow)
            throws IOException {
        List<Chunk> out = new ArrayList<>();
        var chunker = new PredictiveChunker(ChunkerParams.DEFAULT, pool, threads, predictedWindow, cutWindow);
        MessageDigest check = sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            PredictiveChunker.Stats stats = chunker.run(ch, ch.size(), previous,
                    (offset, length, digest, digestOff, known, data, dataOff) -> {
                        check.update(data, dataOff, length);
                        String hex = HexFormat.of().formatHex(digest, digestOff, digestOff + 32);
                        assertEquals(hex, HexFormat.of().formatHex(check.digest()), "data handed over at " + offset);
                        out.add(new Chunk(offset, length, hex, known));
                    });
            return new Result(out, stats);
        }
    }

    /** Same offsets, lengths and digests; a failure names the first chunk that differs. */
    private static void assertSameChunks(List<Chunk> expected, List<Chunk> actual) {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            int at = i;
            assertEquals(expected.get(i).identity(), actual.get(i).identity(),
                    () -> "chunk " + at + " differs from cutting the whole file");
        }
        assertEquals(expected.size(), actual.size(), "chunk count differs from cutting the whole file");
    }

    /** Plain cutting of the whole array, as the server does in stream mode. */
    private static List<Chunk> cut(byte[] data) {
        var chunker = new ContentDefinedChunker(ChunkerParams.DEFAULT);
        MessageDigest md = sha256();
        List<Chunk> out = new ArrayList<>();
        int at = 0;
        while (at < data.length) {
            int n = chunker.nextCut(data, at, data.length - at);
            md.update(data, at, n);
            out.add(new Chunk(at, n, HexFormat.of().formatHex(md.digest()), false));
            at += n;
        }
        return out;
    }

    private static PreviousChunks previous(List<Chunk> chunks) {
        PreviousChunks.Builder b = new PreviousChunks.Builder();
        for (Chunk c : chunks) {
            b.add(c.length(), HexFormat.of().parseHex(c.sha256()), 0);
        }
        return b.build();
    }

    /** A memory-image-like array: random pages, zero pages and text-like pages. */
    private static byte[] image(long seed, int size) {
        Random r = new Random(seed);
        byte[] out = new byte[size];
        for (int at = 0; at < size; at += PAGE) {
            int n = Math.min(PAGE, size - at);
            int kind = r.nextInt(10);
            if (kind < 5) {
                byte[] page = new byte[n];
                r.nextBytes(page);
                System.arraycopy(page, 0, out, at, n);
            } else if (kind < 8) {
                for (int i = 0; i < n; i++) {
                    out[at + i] = (byte) ('a' + r.nextInt(6));
                }
            } // else a zero page
        }
        return out;
    }

    private static byte[] random(long seed, int size) {
        byte[] out = new byte[size];
        new Random(seed).nextBytes(out);
        return out;
    }

    private static byte[] insert(byte[] base, int at, byte[] what) {
        byte[] out = new byte[base.length + what.length];
        System.arraycopy(base, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(base, at, out, at + what.length, base.length - at);
        return out;
    }

    private static byte[] delete(byte[] base, int at, int n) {
        n = Math.min(n, base.length - at);
        byte[] out = new byte[base.length - n];
        System.arraycopy(base, 0, out, 0, at);
        System.arraycopy(base, at + n, out, at, base.length - at - n);
        return out;
    }

    private static byte[] flipBytes(byte[] base, Random r, int count) {
        byte[] out = base.clone();
        for (int i = 0; i < count; i++) {
            out[r.nextInt(out.length)] ^= (byte) (1 + r.nextInt(255));
        }
        return out;
    }

    private Path write(byte[] data) throws IOException {
        return Files.write(Files.createTempFile(dir, "image", ".img"), data);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
