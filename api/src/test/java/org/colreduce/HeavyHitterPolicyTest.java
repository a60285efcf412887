package org.colreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The selection policy of {@link HeavyHitterTracker} on hand-made scores (docs/TRACKER.md, T2). */
class HeavyHitterPolicyTest {
    @Test
    void keepsEverythingWithinBudget() {
        assertArrayEquals(new int[]{0, 1, 2}, HeavyHitterTracker.keep(new float[]{3, 1, 2}, 0, 3, 3, 1));
        assertArrayEquals(new int[]{0, 1, 2}, HeavyHitterTracker.keep(new float[]{3, 1, 2}, 0, 3, 8, 0));
    }

    @Test
    void recentWindowThenHeaviest() {
        float[] s = {0.5f, 4f, 1f, 3f, 0.1f, 0f, 0f};
        // the 2 newest (5, 6), then the 2 heaviest of 0..4 (1, 3)
        assertArrayEquals(new int[]{1, 3, 5, 6}, HeavyHitterTracker.keep(s, 0, 7, 4, 2));
        // no window: the 4 heaviest
        assertArrayEquals(new int[]{0, 1, 2, 3}, HeavyHitterTracker.keep(s, 0, 7, 4, 0));
        // a window as large as the budget: the newest only
        assertArrayEquals(new int[]{3, 4, 5, 6}, HeavyHitterTracker.keep(s, 0, 7, 4, 4));
    }

    @Test
    void tiesGoToTheLowerIndexAndNaNRanksLast() {
        float[] s = {9f, 2f, Float.NaN, 2f, 2f, 1f};
        assertArrayEquals(new int[]{0, 1, 3, 5}, HeavyHitterTracker.keep(s, 0, 6, 4, 1));
        float[] nan = {Float.NaN, Float.NaN, 0f, Float.NaN};
        assertArrayEquals(new int[]{0, 2, 3}, HeavyHitterTracker.keep(nan, 0, 4, 3, 1));
    }

    @Test
    void readsItsOwnRowOfALargerArray() {
        float[] s = {100f, 100f, 100f, /* row 1: */ 1f, 5f, 2f};
        assertArrayEquals(new int[]{1, 2}, HeavyHitterTracker.keep(s, 3, 3, 2, 1));
    }
}
