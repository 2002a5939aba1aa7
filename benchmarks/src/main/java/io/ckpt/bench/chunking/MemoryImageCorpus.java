package io.ckpt.bench.chunking;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Deterministic stand-ins for successive memory images of one WPAR, page by page.
 *
 * <p>A first image is made of 4 KiB pages in runs of 1 to 16 pages of one kind: about 20% zero
 * pages (untouched heap, bss), 50% compressible pages (text and structured records: repeated words,
 * small integers, pointers that share their high bits) and 30% random pages (compressed or
 * encrypted data, hash tables). The same seed always gives the same bytes.
 *
 * <p>A next image changes a given fraction of the pages in clusters of 1 to 16 pages, the way
 * objects are allocated and written together: half of the changed pages are rewritten whole, half
 * get one to eight small writes of 8 to 64 bytes; a changed zero page becomes a compressible one
 * (the heap grew into it). Optionally it also inserts a region of new pages in the middle, so that
 * everything after it moves by whole pages, as when a heap segment is mapped between two others.
 *
 * <pre>{@code
 * MemoryImageCorpus corpus = new MemoryImageCorpus(1);
 * Image v1 = corpus.first(65_536);                 // 256 MiB
 * Image v2 = corpus.next(v1, 1, new Change(0.05, 16, 256)); // 5% of pages changed, 1 MiB inserted
 * }</pre>
 */
public final class MemoryImageCorpus {
    public static final int PAGE = 4096;
    private static final int MAX_RUN = 16;
    private static final byte[][] WORDS = words(
            "the", "of", "and", "customer", "invoice", "amount", "status", "OK", "FAILED", "pending",
            "java/lang/String", "java/util/HashMap$Node", "payroll", "account", "balance", "EUR", "USD",
            "2026-11-03T14:05:09Z", "id", "name", "value", "null", "true", "false", "<row>", "</row>",
            "SELECT", "FROM", "WHERE", "user", "session", "timeout", "retry", "ERROR", "INFO", "DEBUG",
            "GET", "/api/v1/orders", "HTTP/1.1", "200", "Content-Type", "application/json", "{\"op\":", "},");

    /** What a page holds; decides how it is filled. */
    public enum Kind {
        ZERO, COMPRESSIBLE, RANDOM;

        /** 20% zero, 50% compressible, 30% random. */
        static Kind pick(SplittableRandom random) {
            int p = random.nextInt(10);
            return p < 2 ? ZERO : p < 7 ? COMPRESSIBLE : RANDOM;
        }
    }

    /**
     * One version of an image: its bytes, the kind of each page, how many of its pages are new
     * against the version it was made from (changed plus inserted), and which ones ({@code fresh},
     * in this image's page numbers; all pages of a first image).
     */
    public record Image(byte[] bytes, Kind[] kinds, int pagesChanged, int pagesInserted, BitSet fresh) {
        public int pages() {
            return kinds.length;
        }
    }

    /**
     * How a next image differs: a fraction of the pages changed, in clusters of 1 to
     * {@code maxCluster} pages, then {@code insertedPages} new pages inserted at the middle page.
     */
    public record Change(double pages, int maxCluster, int insertedPages) {
        public Change {
            if (pages < 0 || pages > 1 || maxCluster < 1 || insertedPages < 0) {
                throw new IllegalArgumentException("changed " + pages + ", max cluster " + maxCluster + ", inserted " + insertedPages);
            }
        }
    }

    private final long seed;

    public MemoryImageCorpus(long seed) {
        this.seed = seed;
    }

    /** A first image of {@code pages} pages. */
    public Image first(int pages) {
        if (pages <= 0 || (long) pages * PAGE > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("pages must be in [1, 524287]: " + pages);
        }
        byte[] bytes = new byte[pages * PAGE];
        Kind[] kinds = pickKinds(new SplittableRandom(mix(seed, 0, -1)), pages);
        for (int p = 0; p < pages; p++) {
            fill(kinds[p], bytes, p * PAGE, new SplittableRandom(mix(seed, 0, p)));
        }
        BitSet fresh = new BitSet(pages);
        fresh.set(0, pages);
        return new Image(bytes, kinds, 0, 0, fresh);
    }

    /**
     * The image after {@code prev}, changed as {@code change} says. {@code generation} (1 and up)
     * picks the changed pages and their new contents: give each version of a series its own. Two
     * calls with the same generation, fraction and cluster size change the same pages the same way.
     */
    public Image next(Image prev, int generation, Change change) {
        if (generation <= 0) {
            throw new IllegalArgumentException("generation must be positive: " + generation);
        }
        int n = prev.pages();
        SplittableRandom random = new SplittableRandom(mix(seed, generation, -1));
        BitSet hit = new BitSet(n);
        long target = Math.round(change.pages() * n);
        while (hit.cardinality() < target) {
            int start = random.nextInt(n);
            hit.set(start, Math.min(n, start + 1 + random.nextInt(change.maxCluster())));
        }

        byte[] bytes = prev.bytes().clone();
        Kind[] kinds = prev.kinds().clone();
        for (int p = hit.nextSetBit(0); p >= 0; p = hit.nextSetBit(p + 1)) {
            SplittableRandom page = new SplittableRandom(mix(seed, generation, p));
            if (kinds[p] == Kind.ZERO || page.nextBoolean()) {
                kinds[p] = kinds[p] == Kind.ZERO ? Kind.COMPRESSIBLE : kinds[p];
                fill(kinds[p], bytes, p * PAGE, page);
            } else {
                for (int writes = 1 + page.nextInt(8); writes > 0; writes--) {
                    int len = 8 + page.nextInt(57);
                    int at = p * PAGE + page.nextInt(PAGE - len + 1);
                    for (int i = 0; i < len; i++) {
                        bytes[at + i] = (byte) page.nextInt(256);
                    }
                }
            }
        }
        if (change.insertedPages() == 0) {
            return new Image(bytes, kinds, hit.cardinality(), 0, hit);
        }
        return insert(bytes, kinds, n / 2, change.insertedPages(), generation, hit);
    }

    private Image insert(byte[] bytes, Kind[] kinds, int at, int count, int generation, BitSet changed) {
        int n = kinds.length;
        if ((long) (n + count) * PAGE > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image of " + n + " + " + count + " pages is over 2 GiB");
        }
        byte[] out = new byte[(n + count) * PAGE];
        Kind[] outKinds = new Kind[n + count];
        System.arraycopy(bytes, 0, out, 0, at * PAGE);
        System.arraycopy(bytes, at * PAGE, out, (at + count) * PAGE, (n - at) * PAGE);
        System.arraycopy(kinds, 0, outKinds, 0, at);
        System.arraycopy(kinds, at, outKinds, at + count, n - at);
        Kind[] inserted = pickKinds(new SplittableRandom(mix(seed, generation, -2)), count);
        for (int i = 0; i < count; i++) {
            outKinds[at + i] = inserted[i];
            // Page numbers past the old image: contents unlike any changed page of this generation.
            fill(inserted[i], out, (at + i) * PAGE, new SplittableRandom(mix(seed, generation, n + i)));
        }
        BitSet fresh = new BitSet(n + count);
        for (int p = changed.nextSetBit(0); p >= 0; p = changed.nextSetBit(p + 1)) {
            fresh.set(p < at ? p : p + count);
        }
        fresh.set(at, at + count);
        return new Image(out, outKinds, changed.cardinality(), count, fresh);
    }

    /** Kinds in runs of 1 to {@value #MAX_RUN} pages. */
    private static Kind[] pickKinds(SplittableRandom random, int pages) {
        Kind[] kinds = new Kind[pages];
        for (int p = 0; p < pages; ) {
            Kind kind = Kind.pick(random);
            for (int run = 1 + random.nextInt(MAX_RUN); run > 0 && p < pages; run--) {
                kinds[p++] = kind;
            }
        }
        return kinds;
    }

    private static void fill(Kind kind, byte[] b, int off, SplittableRandom random) {
        switch (kind) {
            case ZERO -> Arrays.fill(b, off, off + PAGE, (byte) 0);
            case RANDOM -> {
                for (int i = 0; i < PAGE; i += 8) {
                    putLong(b, off + i, random.nextLong());
                }
            }
            case COMPRESSIBLE -> {
                if (random.nextBoolean()) {
                    fillText(b, off, random);
                } else {
                    fillRecords(b, off, random);
                }
            }
        }
    }

    /** Words and small decimal numbers, as in strings, logs and serialized messages. */
    private static void fillText(byte[] b, int off, SplittableRandom random) {
        int end = off + PAGE;
        int i = off;
        while (i < end) {
            byte[] word = WORDS[random.nextInt(WORDS.length)];
            for (int k = 0; k < word.length && i < end; k++) {
                b[i++] = word[k];
            }
            if (i < end) {
                b[i++] = (byte) (random.nextInt(8) == 0 ? '\n' : ' ');
            }
            if (random.nextInt(3) == 0) {
                byte[] number = Integer.toString(random.nextInt(10_000)).getBytes(StandardCharsets.US_ASCII);
                for (int k = 0; k < number.length && i < end; k++) {
                    b[i++] = number[k];
                }
                if (i < end) {
                    b[i++] = ' ';
                }
            }
        }
    }

    /**
     * 32-byte records as a heap holds them: a class pointer from a few, a small int, a type tag,
     * a reference into the same region, and a mostly zero word.
     */
    private static void fillRecords(byte[] b, int off, SplittableRandom random) {
        long region = 0x0000_7f3a_0000_0000L | ((long) random.nextInt(1 << 12) << 20);
        for (int i = off; i < off + PAGE; i += 32) {
            putLong(b, i, 0x0000_7f39_8000_1000L + 0x40L * random.nextInt(6));
            putLong(b, i + 8, random.nextInt(1000) | ((long) random.nextInt(4) << 32));
            putLong(b, i + 16, region | ((long) random.nextInt(1 << 16) << 4));
            putLong(b, i + 24, random.nextInt(16) == 0 ? random.nextInt(256) : 0);
        }
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int k = 0; k < 8; k++) {
            b[at + k] = (byte) (v >>> (8 * k));
        }
    }

    /** A seed for one page of one generation (page -1, -2: the generation's own choices). */
    private static long mix(long seed, int generation, int page) {
        long z = seed * 0x9E3779B97F4A7C15L + generation * 0xBF58476D1CE4E5B9L + page * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static byte[][] words(String... words) {
        byte[][] out = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            out[i] = words[i].getBytes(StandardCharsets.US_ASCII);
        }
        return out;
    }
}
