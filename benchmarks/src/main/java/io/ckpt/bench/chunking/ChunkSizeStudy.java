package io.ckpt.bench.chunking;

import io.ckpt.bench.chunking.MemoryImageCorpus.Change;
import io.ckpt.bench.chunking.MemoryImageCorpus.Image;
import io.ckpt.bench.chunking.MemoryImageCorpus.Kind;
import io.ckpt.chunk.ChunkDigest;
import io.ckpt.chunk.ChunkerParams;
import io.ckpt.chunk.ContentDefinedChunker;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.Deflater;

/**
 * Which FastCDC sizes suit memory images: for each candidate {@link ChunkerParams}, how much of a
 * next checkpoint lands in chunks the previous one lacks (what an incremental upload stores), how
 * many chunks a GiB makes (index and catalog size), and how fast the chunker runs, on one thread.
 *
 * <p>A fixed 4 KiB page chunker is measured beside them as the floor: it stores exactly the
 * changed pages and no more, at the price of one chunk per page.
 *
 * <p>It needs only the protocol module; about 20 s with a 2 GiB heap for the default 256 MiB image:
 *
 * <pre>
 * javac -d /tmp/study -cp protocol/target/classes benchmarks/src/main/java/io/ckpt/bench/chunking/*.java
 * java -Xmx2g -cp /tmp/study:protocol/target/classes io.ckpt.bench.chunking.ChunkSizeStudy [--pages 65536] [--seed 1]
 * </pre>
 */
public final class ChunkSizeStudy {
    private static final long GIB = 1L << 30;
    private static final List<ChunkerParams> CANDIDATES = List.of(
            new ChunkerParams(2 * 1024, 8 * 1024, 64 * 1024),
            new ChunkerParams(4 * 1024, 16 * 1024, 64 * 1024),
            new ChunkerParams(8 * 1024, 32 * 1024, 256 * 1024),
            new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024));
    private static final int INSERTED_PAGES = 256; // 1 MiB
    private static final List<Scenario> SCENARIOS = List.of(
            new Scenario("3% pages changed", 1, new Change(0.03, 16, 0)),
            new Scenario("5% pages changed", 2, new Change(0.05, 16, 0)),
            new Scenario("same 5% + 1 MiB inserted mid-image", 2, new Change(0.05, 16, INSERTED_PAGES)),
            new Scenario("1 MiB inserted mid-image only", 3, new Change(0, 16, INSERTED_PAGES)),
            new Scenario("5% single pages, scattered", 4, new Change(0.05, 1, 0)));
    private static final int WARMUP_PASSES = 2;
    private static final int TIMED_PASSES = 5;

    /**
     * One way version 2 can differ from version 1. Scenarios of one generation change the same
     * pages, so that the inserted region's cost reads as the difference between them.
     */
    record Scenario(String name, int generation, Change change) {}

    /** A way to cut: FastCDC with some sizes, or fixed pages. */
    record Cutter(String name, ContentDefinedChunker cdc) {
        int next(byte[] b, int off, int len) {
            return cdc == null ? Math.min(MemoryImageCorpus.PAGE, len) : cdc.nextCut(b, off, len);
        }

        static Cutter of(ChunkerParams p) {
            return new Cutter(p.minSize() / 1024 + "K / " + p.avgSize() / 1024 + "K / " + p.maxSize() / 1024 + "K",
                    new ContentDefinedChunker(p));
        }
    }

    /** An image cut into chunks: the distinct digests, the chunk count, and bytes in chunks new against a base. */
    record Chunked(Set<ChunkDigest> digests, long chunks, long newBytes) {}

    private ChunkSizeStudy() {}

    public static void main(String[] args) {
        int pages = 65_536;
        long seed = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pages" -> pages = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; use --pages N --seed S");
            }
        }
        long started = System.nanoTime();
        MemoryImageCorpus corpus = new MemoryImageCorpus(seed);
        Image v1 = corpus.first(pages);
        System.out.printf(Locale.ROOT, "# Chunk size study: %d MiB image, seed %d, %s%n%n",
                (long) pages * MemoryImageCorpus.PAGE >> 20, seed, describe(v1));

        List<Cutter> cutters = new ArrayList<>();
        cutters.add(new Cutter("fixed 4K pages (floor)", null));
        CANDIDATES.forEach(p -> cutters.add(Cutter.of(p)));

        Map<Cutter, Chunked> base = new LinkedHashMap<>();
        for (Cutter c : cutters) {
            base.put(c, chunk(c, v1.bytes(), null));
        }
        printSizes(cutters, base, v1);

        Map<Scenario, Map<Cutter, Double>> newFraction = new LinkedHashMap<>();
        Map<Scenario, Double> pagesNew = new LinkedHashMap<>();
        for (Scenario s : SCENARIOS) {
            Image v2 = corpus.next(v1, s.generation(), s.change());
            pagesNew.put(s, (v2.pagesChanged() + v2.pagesInserted()) / (double) v2.pages());
            Map<Cutter, Double> row = new LinkedHashMap<>();
            for (Cutter c : cutters) {
                row.put(c, chunk(c, v2.bytes(), base.get(c).digests()).newBytes() / (double) v2.bytes().length);
            }
            newFraction.put(s, row);
        }
        printNewBytes(cutters, newFraction, pagesNew);
        System.out.printf(Locale.ROOT, "%nran in %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    /** Cuts {@code image} and names every chunk; bytes of chunks not in {@code previous} count as new. */
    static Chunked chunk(Cutter cutter, byte[] image, Set<ChunkDigest> previous) {
        MessageDigest sha = ChunkDigest.sha256();
        Set<ChunkDigest> digests = new HashSet<>();
        long chunks = 0;
        long newBytes = 0;
        for (int off = 0; off < image.length; ) {
            int n = cutter.next(image, off, image.length - off);
            sha.update(image, off, n);
            ChunkDigest d = ChunkDigest.of(sha.digest());
            digests.add(d);
            if (previous == null || !previous.contains(d)) {
                newBytes += n;
            }
            chunks++;
            off += n;
        }
        return new Chunked(digests, chunks, newBytes);
    }

    /** Median MB/s (10^6 bytes) of cutting the whole image, cut points only, after warm-up passes. */
    static double chunkerMBps(ContentDefinedChunker chunker, byte[] image) {
        double[] rates = new double[TIMED_PASSES];
        long sink = 0;
        for (int pass = -WARMUP_PASSES; pass < TIMED_PASSES; pass++) {
            long t0 = System.nanoTime();
            for (int off = 0; off < image.length; ) {
                int n = chunker.nextCut(image, off, image.length - off);
                sink += n;
                off += n;
            }
            long t = System.nanoTime() - t0;
            if (pass >= 0) {
                rates[pass] = image.length / (t / 1e9) / 1e6;
            }
        }
        if (sink != (long) image.length * (WARMUP_PASSES + TIMED_PASSES)) {
            throw new AssertionError("chunks do not cover the image: " + sink);
        }
        Arrays.sort(rates);
        return rates[TIMED_PASSES / 2];
    }

    private static void printSizes(List<Cutter> cutters, Map<Cutter, Chunked> base, Image v1) {
        double gib = v1.bytes().length / (double) GIB;
        System.out.println("## Chunks of version 1\n");
        System.out.println("| chunker min / avg / max | chunks per GiB | distinct chunks per GiB | mean chunk | FastCDC MB/s, 1 thread |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (Cutter c : cutters) {
            Chunked k = base.get(c);
            String rate = c.cdc() == null ? "n/a" : String.format(Locale.ROOT, "%,.0f", chunkerMBps(c.cdc(), v1.bytes()));
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f | %.1f KiB | %s |%n", c.name(), k.chunks() / gib,
                    k.digests().size() / gib, v1.bytes().length / (double) k.chunks() / 1024, rate);
        }
        System.out.println();
    }

    private static void printNewBytes(List<Cutter> cutters, Map<Scenario, Map<Cutter, Double>> newFraction,
            Map<Scenario, Double> pagesNew) {
        System.out.println("## Bytes of version 2 in chunks that version 1 lacks (x: multiple of the new pages)\n");
        StringBuilder head = new StringBuilder("| chunker min / avg / max |");
        StringBuilder rule = new StringBuilder("|---|");
        StringBuilder pages = new StringBuilder("| pages new in version 2 |");
        for (Scenario s : SCENARIOS) {
            head.append(' ').append(s.name()).append(" |");
            rule.append("---:|");
            pages.append(String.format(Locale.ROOT, " %.2f%% |", 100 * pagesNew.get(s)));
        }
        System.out.println(head);
        System.out.println(rule);
        System.out.println(pages);
        for (Cutter c : cutters) {
            StringBuilder row = new StringBuilder("| ").append(c.name()).append(" |");
            for (Scenario s : SCENARIOS) {
                double f = newFraction.get(s).get(c);
                row.append(String.format(Locale.ROOT, " %.2f%% (%.1fx) |", 100 * f, f / pagesNew.get(s)));
            }
            System.out.println(row);
        }
    }

    /** The image's mix of pages, and how well its compressible pages compress (Deflater level 1, a sample). */
    private static String describe(Image image) {
        int[] count = new int[Kind.values().length];
        for (Kind k : image.kinds()) {
            count[k.ordinal()]++;
        }
        Deflater deflater = new Deflater(1);
        byte[] out = new byte[2 * MemoryImageCorpus.PAGE];
        long in = 0;
        long deflated = 0;
        for (int p = 0; p < image.pages() && in < (16 << 20); p++) {
            if (image.kinds()[p] == Kind.COMPRESSIBLE) {
                deflater.reset();
                deflater.setInput(image.bytes(), p * MemoryImageCorpus.PAGE, MemoryImageCorpus.PAGE);
                deflater.finish();
                deflated += deflater.deflate(out);
                in += MemoryImageCorpus.PAGE;
            }
        }
        deflater.end();
        int n = image.pages();
        return String.format(Locale.ROOT, "pages %.1f%% zero, %.1f%% compressible (deflate to %.0f%%), %.1f%% random",
                100.0 * count[Kind.ZERO.ordinal()] / n, 100.0 * count[Kind.COMPRESSIBLE.ordinal()] / n,
                100.0 * deflated / in, 100.0 * count[Kind.RANDOM.ordinal()] / n);
    }
}
