package io.ckpt.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A deterministic, memory-like image: {@code pages} pages of 4 KiB, each a pure function of the
 * seed and its index, so an image of any size is streamed without being held in memory.
 *
 * <p>Pages come in extents of 8 with one kind each, as memory does: about 20% zero, 50% text-like
 * (records, words and addresses: LZ4 keeps about a third) and 30% random. {@link #mutate} returns a
 * new version with a fraction of the pages rewritten in clusters of 1 to 16 pages, like a process
 * that ran a while between two checkpoints.
 */
public final class MemoryImage {
    public static final int PAGE = 4096;
    private static final int EXTENT_SHIFT = 3;
    private static final byte[][] WORDS = vocabulary();
    private static final byte[][] TEMPLATES = templates();
    private static final byte[] SPACE = {' '};
    private static final byte[] NEWLINE = {'\n'};

    /** The pages one mutation rewrote and the seed their new contents come from. */
    private record Mutation(long seed, BitSet pages) {}

    private final long seed;
    private final long pages;
    private final List<Mutation> mutations;

    private MemoryImage(long seed, long pages, List<Mutation> mutations) {
        this.seed = seed;
        this.pages = pages;
        this.mutations = mutations;
    }

    public static MemoryImage of(long seed, long pages) {
        return new MemoryImage(seed, pages, List.of());
    }

    /** An image of {@code bytes} (a multiple of 4 KiB). */
    public static MemoryImage ofSize(long seed, long bytes) {
        if (bytes % PAGE != 0) {
            throw new IllegalArgumentException(bytes + " is not a whole number of pages");
        }
        return of(seed, bytes / PAGE);
    }

    public long size() {
        return pages * PAGE;
    }

    /**
     * The next version of this image: about {@code fraction} of its pages rewritten (never to
     * zeros, so every chosen page really changes), in clusters of 1 to 16 pages at random places.
     */
    public MemoryImage mutate(double fraction, long mutationSeed) {
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many pages to mutate: " + pages);
        }
        long target = Math.round(fraction * pages);
        SplittableRandom r = new SplittableRandom(mutationSeed);
        BitSet changed = new BitSet((int) pages);
        long count = 0;
        while (count < target) {
            int start = (int) r.nextLong(pages);
            int end = (int) Math.min(pages, start + 1 + r.nextInt(16));
            for (int p = start; p < end && count < target; p++) {
                if (!changed.get(p)) {
                    changed.set(p);
                    count++;
                }
            }
        }
        List<Mutation> next = new ArrayList<>(mutations);
        next.add(new Mutation(mutationSeed, changed));
        return new MemoryImage(seed, pages, List.copyOf(next));
    }

    /** Writes page {@code index} into {@code dst[off..off+4096)}. */
    public void page(long index, byte[] dst, int off) {
        for (int m = mutations.size() - 1; m >= 0; m--) {
            Mutation mu = mutations.get(m);
            if (mu.pages().get((int) index)) {
                SplittableRandom r = new SplittableRandom(mix(mu.seed(), index));
                if (r.nextBoolean()) {
                    textPage(r, dst, off);
                } else {
                    randomPage(r, dst, off);
                }
                return;
            }
        }
        int kind = (int) Math.floorMod(mix(seed, index >>> EXTENT_SHIFT), 10L);
        SplittableRandom r = new SplittableRandom(mix(seed ^ 0x5DEECE66DL, index));
        if (kind < 2) {
            java.util.Arrays.fill(dst, off, off + PAGE, (byte) 0);
        } else if (kind < 7) {
            textPage(r, dst, off);
        } else {
            randomPage(r, dst, off);
        }
    }

    /** The image's bytes, generated as they are read. */
    public InputStream open() {
        return prefix(size());
    }

    /** The first {@code bytes} bytes of the image, generated as they are read. */
    public InputStream prefix(long bytes) {
        long limit = Math.min(bytes, size());
        return new InputStream() {
            private final byte[] buf = new byte[16 * PAGE];
            private int bufPos;
            private int bufLen;
            private long nextPage;
            private long delivered;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (delivered >= limit) {
                    return -1;
                }
                if (bufPos == bufLen) {
                    int n = 0;
                    while (n < buf.length / PAGE && nextPage < pages) {
                        page(nextPage++, buf, n * PAGE);
                        n++;
                    }
                    bufPos = 0;
                    bufLen = n * PAGE;
                }
                int n = (int) Math.min(Math.min(len, bufLen - bufPos), limit - delivered);
                System.arraycopy(buf, bufPos, b, off, n);
                bufPos += n;
                delivered += n;
                return n;
            }
        };
    }

    /** Writes the image to {@code file}, streaming, and returns the file. */
    public Path writeTo(Path file) throws IOException {
        try (InputStream in = open(); OutputStream out = Files.newOutputStream(file)) {
            in.transferTo(out);
        }
        return file;
    }

    /** SHA-256 of the image, hex. */
    public String sha256() throws IOException {
        try (InputStream in = open()) {
            return Sha256.of(in);
        }
    }

    /**
     * Text as a heap holds it: half runs of similar records (a template and a number, like an
     * array of structs), half prose of random words and addresses. LZ4 keeps about a third of it.
     */
    private static void textPage(SplittableRandom r, byte[] dst, int off) {
        int pos = off;
        int end = off + PAGE;
        while (pos < end) {
            if (r.nextBoolean()) {
                byte[] template = TEMPLATES[r.nextInt(TEMPLATES.length)];
                long value = r.nextLong(1L << 40);
                for (int i = 4 + r.nextInt(12); i > 0 && pos < end; i--) {
                    pos = put(template, dst, pos, end);
                    value += r.nextInt(1, 64);
                    pos = put(Long.toString(value).getBytes(StandardCharsets.US_ASCII), dst, pos, end);
                    pos = put(NEWLINE, dst, pos, end);
                }
            } else {
                for (int i = 8 + r.nextInt(16); i > 0 && pos < end; i--) {
                    int pick = r.nextInt(16);
                    byte[] word = pick == 0
                            ? ("0x" + Long.toHexString(0x7f0000000000L + r.nextLong(1L << 32))).getBytes(StandardCharsets.US_ASCII)
                            : pick == 1 ? Integer.toString(r.nextInt(100_000)).getBytes(StandardCharsets.US_ASCII)
                            : WORDS[r.nextInt(WORDS.length)];
                    pos = put(word, dst, pos, end);
                    pos = put(SPACE, dst, pos, end);
                }
                pos = put(NEWLINE, dst, pos, end);
            }
        }
    }

    private static int put(byte[] src, byte[] dst, int pos, int end) {
        int n = Math.min(src.length, end - pos);
        System.arraycopy(src, 0, dst, pos, n);
        return pos + n;
    }

    private static void randomPage(SplittableRandom r, byte[] dst, int off) {
        ByteBuffer b = ByteBuffer.wrap(dst, off, PAGE);
        for (int i = 0; i < PAGE / 8; i++) {
            b.putLong(r.nextLong());
        }
    }

    private static byte[][] vocabulary() {
        SplittableRandom r = new SplittableRandom(0xC4EC4B01L);
        byte[][] words = new byte[512][];
        for (int i = 0; i < words.length; i++) {
            byte[] w = new byte[2 + r.nextInt(10)];
            for (int j = 0; j < w.length; j++) {
                w[j] = (byte) ('a' + r.nextInt(26));
            }
            words[i] = w;
        }
        return words;
    }

    private static byte[][] templates() {
        SplittableRandom r = new SplittableRandom(0x7E3A1A7EL);
        byte[][] templates = new byte[32][];
        for (int i = 0; i < templates.length; i++) {
            StringBuilder t = new StringBuilder();
            for (int k = 3 + r.nextInt(5); k > 0; k--) {
                t.append(new String(WORDS[r.nextInt(WORDS.length)], StandardCharsets.US_ASCII)).append(k % 2 == 0 ? '=' : ' ');
            }
            templates[i] = t.toString().getBytes(StandardCharsets.US_ASCII);
        }
        return templates;
    }

    /** SplitMix64 finalizer over both inputs: unrelated streams for neighbouring pages and seeds. */
    private static long mix(long a, long b) {
        return fmix(a ^ fmix(b + 0x9E3779B97F4A7C15L));
    }

    private static long fmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
