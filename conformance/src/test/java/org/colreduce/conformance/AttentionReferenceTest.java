package org.colreduce.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Tensor;
import org.colreduce.conformance.Inputs.Layout;
import org.junit.jupiter.api.Test;

/** {@link AttentionReference} against closed forms: constant V, equal keys, rows that see nothing. */
class AttentionReferenceTest {
    private final Inputs in = Inputs.forName(getClass().getName());

    @Test
    void constantValuesComeBackForRowsThatSeeAKey() {
        // every key carries the same value vector u: O = u wherever the row sees a key (rows of P sum to 1)
        int b = 2, hq = 4, hkv = 2, m = 7, n = 9, d = 5, dv = 3;
        Tensor q = in.normal(DType.F32, Layout.CONTIGUOUS, b, hq, m, d, 1), k = in.normal(DType.F32, Layout.TRANSPOSED, b, hkv, n, d, 1);
        float[] u = {0.5f, -2f, 3.25f};
        Tensor v = Tensor.zerosF32(b, hkv, n, dv);
        for (int bi = 0; bi < b; bi++) for (int g = 0; g < hkv; g++) for (int j = 0; j < n; j++) for (int c = 0; c < dv; c++) v.set(u[c], bi, g, j, c);
        ColumnReduction r = ColumnReduction.builder().mask(Mask.causal()).queryLengths(7, 4).keyLengths(9, 2).build();
        AttentionReference.Result ref = AttentionReference.attend(q, k, v, r);
        for (int bi = 0; bi < b; bi++)
            for (int h = 0; h < hq; h++)
                for (int i = 0; i < m; i++) {
                    boolean sees = false;
                    for (int j = 0; j < n; j++) sees |= Reference.visible(r.mask(), i, j, r.queryLengths()[bi], r.keyLengths()[bi]);
                    for (int c = 0; c < dv; c++)
                        assertEquals(sees ? u[c] : 0, ref.output()[((bi * hq + h) * m + i) * dv + c], 1e-12, "b " + bi + " h " + h + " i " + i);
                }
        assertArrayEquals(Reference.columnReduce(q, k, r), ref.scores());
    }

    @Test
    void equalKeysAverageTheVisibleValues() {
        // all keys equal: P is uniform over the visible keys, so O is the mean of their values
        int m = 6, n = 10, d = 4, dv = 2;
        Tensor q = in.normal(DType.F32, Layout.CONTIGUOUS, 1, 1, m, d, 1), k = in.equalRows(DType.F32, Layout.CONTIGUOUS, 1, 1, n, d, 1);
        Tensor v = in.normal(DType.F32, Layout.CONTIGUOUS, 1, 1, n, dv, 1);
        ColumnReduction r = ColumnReduction.builder().mask(Mask.slidingWindow(3)).heads(HeadReduction.SUM).build();
        AttentionReference.Result ref = AttentionReference.attend(q, k, v, r);
        for (int i = 0; i < m; i++)
            for (int c = 0; c < dv; c++) {
                double sum = 0;
                int count = 0;
                for (int j = 0; j < n; j++) if (Reference.visible(r.mask(), i, j, m, n)) { sum += v.get(0, 0, j, c); count++; }
                assertEquals(sum / count, ref.output()[i * dv + c], 1e-12, "row " + i);
            }
    }
}
