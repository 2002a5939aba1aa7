package io.ckpt.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The share of packs one verify run reads, as counts after the cursor and from the start. */
final class PackShareTest {
    @Test
    void aQuarterOfEightIsTwoAfterTheCursorWrappingToTheStartWhenTheEndIsNear() {
        assertEquals(new PackShare(2, 0), PackShare.plan(8, 8, 25));
        assertEquals(new PackShare(2, 0), PackShare.plan(8, 2, 25));
        assertEquals(new PackShare(1, 1), PackShare.plan(8, 1, 25));
        assertEquals(new PackShare(0, 2), PackShare.plan(8, 0, 25));
    }

    @Test
    void sharesRoundUpToWholePacks() {
        assertEquals(3, PackShare.perRun(10, 25));
        assertEquals(1, PackShare.perRun(3, 1));
        assertEquals(1, PackShare.perRun(100, 1));
        assertEquals(2, PackShare.perRun(101, 1));
        assertEquals(0, PackShare.perRun(0, 50));
        assertEquals(7, PackShare.perRun(7, 100));
    }

    /** Every pack is read within ceil(100 / share) consecutive runs, from any cursor, for every count and share. */
    @Test
    void everyPackIsReadWithinCeilOfAHundredOverTheShareRuns() {
        for (int total = 0; total <= 60; total++) {
            for (int percent = 1; percent <= 100; percent++) {
                int runs = (100 + percent - 1) / percent;
                for (int start = 0; start <= total; start++) { // cursor: the last pack read, 0 = none yet
                    int cursor = start;
                    int[] reads = new int[total + 1];
                    for (int run = 0; run < runs; run++) {
                        PackShare p = PackShare.plan(total, total - cursor, percent);
                        for (long i = 0; i < p.afterCursor(); i++) {
                            reads[++cursor]++;
                        }
                        if (p.fromStart() > 0) {
                            cursor = 0;
                            for (long i = 0; i < p.fromStart(); i++) {
                                reads[++cursor]++;
                            }
                        }
                    }
                    for (int id = 1; id <= total; id++) {
                        String at = total + " packs, " + percent + "%, cursor " + start + ": pack " + id;
                        assertTrue(reads[id] >= 1, at + " never read");
                        if (total % PackShare.perRun(total, percent) == 0 && total / PackShare.perRun(total, percent) == runs) {
                            assertEquals(1, reads[id], at + " read more than once");
                        }
                    }
                }
            }
        }
    }

    @Test
    void shareOutsideOneToAHundredPercentIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> PackShare.plan(8, 8, 0));
        assertThrows(IllegalArgumentException.class, () -> PackShare.plan(8, 8, 101));
        assertThrows(IllegalArgumentException.class, () -> PackShare.plan(8, 9, 25));
    }
}
