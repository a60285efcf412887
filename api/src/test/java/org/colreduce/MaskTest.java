package org.colreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The closed forms of {@link Mask} against the definition, element by element. */
class MaskTest {
    private static final List<Mask> MASKS = List.of(Mask.none(), Mask.causal(), Mask.causal(Mask.Alignment.TOP_LEFT),
            Mask.slidingWindow(1), Mask.slidingWindow(3), Mask.slidingWindow(4, Mask.Alignment.TOP_LEFT));

    /** The spec's definition (SPEC §3), written independently of Mask's helpers. */
    private static boolean definition(Mask m, long i, long j, long lenQ, long lenK) {
        if (i >= lenQ || j >= lenK) return false;
        if (m.kind() == Mask.Kind.NONE) return true;
        long off = m.alignment() == Mask.Alignment.BOTTOM_RIGHT ? lenK - lenQ : 0;
        if (j > i + off) return false;
        return m.kind() != Mask.Kind.SLIDING_WINDOW || j > i + off - m.window();
    }

    @Test
    void closedFormsAgreeWithTheDefinition() {
        for (Mask m : MASKS)
            for (int lenQ = 0; lenQ <= 7; lenQ++)
                for (int lenK = 0; lenK <= 7; lenK++) {
                    for (int i = 0; i < 9; i++)
                        for (int j = 0; j < 9; j++)
                            assertEquals(definition(m, i, j, lenQ, lenK), m.visible(i, j, lenQ, lenK),
                                    m + " i=" + i + " j=" + j + " lenQ=" + lenQ + " lenK=" + lenK);
                    for (int j = 0; j < 9; j++) {
                        int count = 0;
                        for (int i = 0; i < 9; i++) if (definition(m, i, j, lenQ, lenK)) count++;
                        assertEquals(count, m.rowsSeeing(j, lenQ, lenK), m + " j=" + j + " lenQ=" + lenQ + " lenK=" + lenK);
                    }
                }
    }

    @Test
    void causalUsesEachBatchsOwnLengths() {
        // lenQ 2, lenK 5: the last row sees all five keys, the first row four.
        Mask c = Mask.causal();
        assertEquals(3, c.lastKey(0, 2, 5));
        assertEquals(4, c.lastKey(1, 2, 5));
    }

    @Test
    void windowMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mask.slidingWindow(0));
        assertEquals("mask window must be ≥ 1, got 0", e.getMessage());
    }
}
