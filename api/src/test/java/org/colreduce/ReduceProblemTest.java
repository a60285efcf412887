package org.colreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.colreduce.spi.ReduceProblem;
import org.junit.jupiter.api.Test;

/** Validation in the API, shared by every backend (SPEC §9). */
class ReduceProblemTest {
    private static Tensor t(long... shape) { return Tensor.zerosF32(shape); }

    private static String reject(Operand q, Operand k, ColumnReduction r, Operand out, Operand prev) {
        return assertThrows(IllegalArgumentException.class, () -> ReduceProblem.of(q, k, r, out, prev, null)).getMessage();
    }

    @Test
    void resolvesDefaults() {
        ReduceProblem p = ReduceProblem.of(t(2, 4, 3, 16), t(2, 2, 5, 16), ColumnReduction.sum(), t(2, 4, 5), null, null);
        assertEquals(0.25f, p.scale());
        assertEquals(2, p.groupSize());
        assertArrayEquals(new int[]{3, 3}, p.queryLengths());
        assertArrayEquals(new int[]{5, 5}, p.keyLengths());
    }

    @Test
    void messagesNameTheParameterAndValues() {
        ColumnReduction sum = ColumnReduction.sum();
        assertTrue(reject(t(2, 3, 3, 16), t(2, 2, 5, 16), sum, t(2, 3, 5), null).contains("Hq 3 and Hkv 2"));
        assertTrue(reject(t(2, 2, 3, 16), t(1, 2, 5, 16), sum, t(2, 2, 5), null).contains("batch B, got q 2 and k 1"));
        assertTrue(reject(t(1, 1, 3, 257), t(1, 1, 5, 257), sum, t(1, 1, 5), null).contains("D must be in 1..256, got 257"));
        assertTrue(reject(t(1, 1, 3, 8), t(1, 1, 5, 8), sum, t(1, 1, 4), null).contains("out must have shape [1, 1, 5]"));
        assertTrue(reject(t(1, 1, 3, 8), t(1, 1, 5, 8), sum, t(1, 1, 5), t(1, 1, 6)).contains("previous"));
        assertTrue(reject(t(1, 1, 3, 8), t(1, 1, 5, 8), ColumnReduction.builder().keyLengths(6).build(), t(1, 1, 5), null)
                .contains("keyLengths[0] must be in 0..5 (N), got 6"));
        assertTrue(reject(t(1, 1, 3, 8), t(1, 1, 5, 8), ColumnReduction.builder().queryLengths(1, 2).build(), t(1, 1, 5), null)
                .contains("queryLengths must have one entry per batch (B = 1), got 2"));
        Tensor f16q = Tensor.f16(new short[24], 1, 1, 3, 8);
        assertTrue(reject(f16q, t(1, 1, 5, 8), sum, t(1, 1, 5), null).contains("same dtype, got q F16 and k F32"));
        assertTrue(reject(t(1, 3, 8), t(1, 1, 5, 8), sum, t(1, 1, 5), null).contains("q must have rank 4"));
        assertThrows(IllegalArgumentException.class, () -> ColumnReduction.builder().scale(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> ColumnReduction.builder().reduction(Reduction.MAX).heads(HeadReduction.SUM).build());
    }

    @Test
    void outputMayNotOverlapInputsButMayBeThePreviousView() {
        float[] shared = new float[1 * 1 * 5 * 8 + 5];
        Tensor k = Tensor.f32(shared, 1, 1, 5, 8);
        Tensor outInK = Tensor.of(k.segment(), DType.F32, 3, new long[]{1, 1, 5}, new long[]{5, 5, 1});
        assertTrue(reject(t(1, 1, 3, 8), k, ColumnReduction.sum(), outInK, null).contains("out overlaps k"));
        Tensor acc = t(1, 1, 5);
        ReduceProblem.of(t(1, 1, 3, 8), t(1, 1, 5, 8), ColumnReduction.sum(), acc, acc, null);
    }

    @Test
    void outputShapes() {
        assertArrayEquals(new long[]{2, 8, 7}, ReduceProblem.outputShape(2, 8, 2, 7, HeadReduction.NONE));
        assertArrayEquals(new long[]{2, 7}, ReduceProblem.outputShape(2, 8, 2, 7, HeadReduction.MEAN));
        assertArrayEquals(new long[]{2, 2, 7}, ReduceProblem.outputShape(2, 8, 2, 7, HeadReduction.GROUP_SUM));
    }
}
