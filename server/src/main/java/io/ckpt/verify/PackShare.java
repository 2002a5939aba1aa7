package io.ckpt.verify;

/**
 * How many packs a partial verify reads after the cursor (the last pack the previous run read)
 * and how many it then reads from the lowest id on, wrapping around: together
 * {@code ceil(total × percent / 100)} packs, contiguous in id order around the circle. So any
 * {@code ceil(100 / percent)} consecutive runs read at least {@code total} packs in a row, and every
 * pack that existed throughout is read at least once; when the count divides evenly, exactly once.
 * Pure arithmetic over counts; {@link Verifier} turns the counts into pack ids.
 */
record PackShare(long afterCursor, long fromStart) {
    PackShare {
        if (afterCursor < 0 || fromStart < 0) {
            throw new IllegalArgumentException("negative pack count: " + afterCursor + ", " + fromStart);
        }
    }

    /** The plan for one run over {@code total} packs, {@code afterCursor} of which have ids above the cursor. */
    static PackShare plan(long total, long afterCursor, int percent) {
        if (percent < 1 || percent > 100) {
            throw new IllegalArgumentException("share " + percent + "% is not 1% to 100%");
        }
        if (afterCursor < 0 || afterCursor > total) {
            throw new IllegalArgumentException("packs after the cursor " + afterCursor + " not within 0.." + total);
        }
        long n = perRun(total, percent);
        long tail = Math.min(n, afterCursor);
        return new PackShare(tail, n - tail);
    }

    /** Packs per run: {@code ceil(total × percent / 100)}, at least one when there are any. */
    static long perRun(long total, int percent) {
        return (total * percent + 99) / 100;
    }

    long packs() {
        return afterCursor + fromStart;
    }
}
