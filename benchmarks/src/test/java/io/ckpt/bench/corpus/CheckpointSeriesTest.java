package io.ckpt.bench.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.bench.chunking.MemoryImageCorpus;
import io.ckpt.bench.chunking.MemoryImageCorpus.Image;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointSeriesTest {
    private static final CheckpointSeries.Spec TINY = CheckpointSeries.Spec.small().withSize(1, 1, 3);

    @Test
    void sameSpecWritesTheSameBytesAndIsReusedOnceWritten(@TempDir Path a, @TempDir Path b) throws IOException {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        CheckpointSeries.Manifest first = CheckpointSeries.prepare(a, TINY, quiet);
        CheckpointSeries.Manifest second = CheckpointSeries.prepare(b, TINY, quiet);
        assertEquals(first, second);

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        assertEquals(first, CheckpointSeries.prepare(a, TINY, new PrintStream(log)));
        assertTrue(log.toString().contains("reusing"), log.toString());
    }

    @Test
    void pagesOutsideFreshAreThePreviousImagesPagesShiftedPastTheInsertion() {
        MemoryImageCorpus corpus = new MemoryImageCorpus(7);
        Image v1 = corpus.first(256);
        Image v2 = corpus.next(v1, 1, new MemoryImageCorpus.Change(0.05, 4, 16));
        int at = 128;
        int page = MemoryImageCorpus.PAGE;
        assertEquals(v2.pagesChanged() + 16, v2.fresh().cardinality());
        for (int p = 0; p < v2.pages(); p++) {
            if (v2.fresh().get(p)) {
                continue;
            }
            int old = p < at ? p : p - 16;
            assertArrayEquals(Arrays.copyOfRange(v1.bytes(), old * page, (old + 1) * page),
                    Arrays.copyOfRange(v2.bytes(), p * page, (p + 1) * page), "page " + p);
        }
    }

    @Test
    void nextTreePatchesReplacesAddsAndAppendsToTheLog() throws IOException {
        FileTreeCorpus corpus = new FileTreeCorpus(3);
        FileTreeCorpus.Tree t1 = corpus.first(4 << 20);
        FileTreeCorpus.Tree t2 = corpus.next(t1, 1, new FileTreeCorpus.Change(0.02, 0.02, 0.02, 4096));
        long changed = t2.files().values().stream().filter(f -> !t1.files().containsKey(f.path())
                || t1.files().get(f.path()).mtime() != f.mtime()).count();
        assertTrue(changed >= 4, "patched + replaced + added + log: " + changed);
        assertEquals(t1.files().get(FileTreeCorpus.LOG).content().length + 4096,
                t2.files().get(FileTreeCorpus.LOG).content().length);

        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        TarWriter.write(t2, tar);
        assertEquals(0, tar.size() % 512);
        assertEquals("ustar", new String(tar.toByteArray(), 257, 5, java.nio.charset.StandardCharsets.US_ASCII));
    }
}
