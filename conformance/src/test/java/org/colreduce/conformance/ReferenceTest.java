package org.colreduce.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The reference against cases worked out by hand. Q = [1, 2] (M = 2, D = 1), K = [0, 1, 2]
 * (N = 3), scale 1: the scores are row 0 = [0, 1, 2] and row 1 = [0, 2, 4], so without a mask
 * P = [[0.0900306, 0.2447285, 0.6652410], [0.0158762, 0.1173104, 0.8668133]].
 */
class ReferenceTest {
    private static final double EPS = 1e-12;
    private static final Tensor Q = Tensor.f32(new float[]{1, 2}, 1, 1, 2, 1);
    private static final Tensor K = Tensor.f32(new float[]{0, 1, 2}, 1, 1, 3, 1);

    private static ColumnReduction.Builder spec(Mask mask) { return ColumnReduction.builder().scale(1).mask(mask); }

    @Test
    void noMaskSumMeanMax() {
        assertArrayEquals(new double[]{0.10590681314684723, 0.36203889888099605, 1.5320542879721568},
                Reference.columnReduce(Q, K, spec(Mask.none()).build()), EPS);
        assertArrayEquals(new double[]{0.10590681314684723 / 2, 0.36203889888099605 / 2, 1.5320542879721568 / 2},
                Reference.columnReduce(Q, K, spec(Mask.none()).reduction(Reduction.MEAN).build()), EPS);
        assertArrayEquals(new double[]{0.09003057317038046, 0.24472847105479764, 0.8668133321973349},
                Reference.columnReduce(Q, K, spec(Mask.none()).reduction(Reduction.MAX).build()), EPS);
    }

    @Test
    void causalBottomRight() {
        // offset N − M = 1: row 0 sees keys 0, 1 (softmax [0, 1]); row 1 sees all three
        assertArrayEquals(new double[]{0.28481766134646186, 0.8483690064562033, 0.8668133321973349},
                Reference.columnReduce(Q, K, spec(Mask.causal()).build()), EPS);
        // MEAN: columns 0 and 1 are seen by two rows, column 2 by one
        assertArrayEquals(new double[]{0.28481766134646186 / 2, 0.8483690064562033 / 2, 0.8668133321973349},
                Reference.columnReduce(Q, K, spec(Mask.causal()).reduction(Reduction.MEAN).build()), EPS);
    }

    @Test
    void causalTopLeft() {
        // row 0 sees key 0 (p = 1); row 1 sees keys 0, 1 (softmax [0, 2]); no row sees key 2
        assertArrayEquals(new double[]{1.1192029220221176, 0.8807970779778823, 0},
                Reference.columnReduce(Q, K, spec(Mask.causal(Mask.Alignment.TOP_LEFT)).build()), EPS);
    }

    @Test
    void causalUsesEachBatchsOwnLengths() {
        // the clarification: lenQ = 1, lenK = 2 → offset 1; row 0 sees keys 0, 1 (< lenK); row 1 ≥ lenQ contributes nothing
        assertArrayEquals(new double[]{0.2689414213699951, 0.7310585786300049, 0},
                Reference.columnReduce(Q, K, spec(Mask.causal()).queryLengths(1).keyLengths(2).build()), EPS);
        // two batches, the same data, different lengths: each batch uses its own diagonal
        Tensor q2 = Tensor.f32(new float[]{1, 2, 1, 2}, 2, 1, 2, 1), k2 = Tensor.f32(new float[]{0, 1, 2, 0, 1, 2}, 2, 1, 3, 1);
        assertArrayEquals(new double[]{0.2689414213699951, 0.7310585786300049, 0, 0.28481766134646186, 0.8483690064562033, 0.8668133321973349},
                Reference.columnReduce(q2, k2, spec(Mask.causal()).queryLengths(1, 2).keyLengths(2, 3).build()), EPS);
    }

    @Test
    void causalWithMoreQueriesThanKeys() {
        // M = 3, N = 2, offset −1: row 0 sees nothing, row 1 sees key 0, row 2 sees keys 0, 1 (scores [0, 3])
        Tensor q = Tensor.f32(new float[]{1, 2, 3}, 1, 1, 3, 1), k = Tensor.f32(new float[]{0, 1}, 1, 1, 2, 1);
        double p20 = 1 / (1 + Math.exp(3)), p21 = 1 - p20;
        assertArrayEquals(new double[]{1 + p20, p21}, Reference.columnReduce(q, k, spec(Mask.causal()).build()), EPS);
        assertArrayEquals(new double[]{(1 + p20) / 2, p21}, Reference.columnReduce(q, k, spec(Mask.causal()).reduction(Reduction.MEAN).build()), EPS);
        assertArrayEquals(new double[]{1, p21}, Reference.columnReduce(q, k, spec(Mask.causal()).reduction(Reduction.MAX).build()), EPS);
        assertEquals(null, Reference.rowProbabilities(q, k, Mask.causal(), 1, 0, 0, 0, 0, 2, 1, 3, 2), "row 0 sees no key");
    }

    @Test
    void slidingWindow() {
        // W = 2, M = N = 3, q = [1, 2, 3]: row 0 sees {0}, row 1 {0, 1} (scores [0, 2]), row 2 {1, 2} (scores [3, 6])
        Tensor q = Tensor.f32(new float[]{1, 2, 3}, 1, 1, 3, 1);
        assertArrayEquals(new double[]{1.1192029220221176, 0.9282229511554491, 0.9525741268224334},
                Reference.columnReduce(q, K, spec(Mask.slidingWindow(2)).build()), EPS);
    }

    @Test
    void scaleMultipliesScores() {
        // scale 0.5 on q = [2, 4] equals scale 1 on q = [1, 2]; the default is 1/√D = 1 for D = 1
        Tensor q = Tensor.f32(new float[]{2, 4}, 1, 1, 2, 1);
        assertArrayEquals(Reference.columnReduce(Q, K, spec(Mask.none()).build()),
                Reference.columnReduce(q, K, ColumnReduction.builder().scale(0.5).build()), EPS);
        assertArrayEquals(Reference.columnReduce(Q, K, spec(Mask.none()).build()), Reference.columnReduce(Q, K, ColumnReduction.sum()), EPS);
        assertEquals((float) (1 / Math.sqrt(3)), Reference.scale(ColumnReduction.sum(), 3));
    }

    @Test
    void headReductionsAndGqa() {
        // Hq = 2 heads on one KV head: head 0 is Q, head 1 has q = [0, 0] (uniform rows, 1/3 each)
        Tensor q = Tensor.f32(new float[]{1, 2, 0, 0}, 1, 2, 2, 1);
        double[] h0 = {0.10590681314684723, 0.36203889888099605, 1.5320542879721568}, h1 = {2 / 3.0, 2 / 3.0, 2 / 3.0};
        assertArrayEquals(new double[]{h0[0], h0[1], h0[2], h1[0], h1[1], h1[2]}, Reference.columnReduce(q, K, spec(Mask.none()).build()), EPS);
        double[] sum = {h0[0] + h1[0], h0[1] + h1[1], h0[2] + h1[2]};
        assertArrayEquals(sum, Reference.columnReduce(q, K, spec(Mask.none()).heads(HeadReduction.SUM).build()), EPS);
        assertArrayEquals(sum, Reference.columnReduce(q, K, spec(Mask.none()).heads(HeadReduction.GROUP_SUM).build()), EPS);
        double[] mean = {sum[0] / 2, sum[1] / 2, sum[2] / 2};
        assertArrayEquals(mean, Reference.columnReduce(q, K, spec(Mask.none()).heads(HeadReduction.MEAN).build()), EPS);
        // MEAN rows with MEAN heads: the mean of the per-head means
        assertArrayEquals(new double[]{mean[0] / 2, mean[1] / 2, mean[2] / 2},
                Reference.columnReduce(q, K, spec(Mask.none()).heads(HeadReduction.GROUP_MEAN).reduction(Reduction.MEAN).build()), EPS);
        // two KV heads, four query heads: query heads 2, 3 read KV head 1 (all-zero keys: uniform)
        Tensor q4 = Tensor.f32(new float[]{1, 2, 0, 0, 1, 2, 1, 2}, 1, 4, 2, 1), k2 = Tensor.f32(new float[]{0, 1, 2, 0, 0, 0}, 1, 2, 3, 1);
        double[] r = Reference.columnReduce(q4, k2, spec(Mask.none()).heads(HeadReduction.GROUP_SUM).build());
        assertArrayEquals(new double[]{sum[0], sum[1], sum[2], 4 / 3.0, 4 / 3.0, 4 / 3.0}, r, EPS);
    }

    @Test
    void accumulatesIntoShorterPrevious() {
        Tensor previous = Tensor.f32(new float[]{10, 20}, 1, 1, 2);
        assertArrayEquals(new double[]{10.10590681314684723, 20.36203889888099605, 1.5320542879721568},
                Reference.columnReduce(Q, K, spec(Mask.none()).build(), previous), 1e-9);
        Tensor flat = Tensor.f32(new float[]{1}, 1, 1);
        assertArrayEquals(new double[]{1 + 0.10590681314684723 + 2 / 3.0, 0.36203889888099605 + 2 / 3.0, 1.5320542879721568 + 2 / 3.0},
                Reference.columnReduce(Tensor.f32(new float[]{1, 2, 0, 0}, 1, 2, 2, 1), K, spec(Mask.none()).heads(HeadReduction.SUM).build(), flat), EPS);
    }

    @Test
    void nanPoisonsTheColumnsItsRowSees() {
        Tensor q = Tensor.f32(new float[]{Float.NaN, 2}, 1, 1, 2, 1);
        // causal top-left: the NaN row 0 sees key 0 only
        double[] r = Reference.columnReduce(q, K, spec(Mask.causal(Mask.Alignment.TOP_LEFT)).build());
        assertTrue(Double.isNaN(r[0]), "column 0 is seen by the NaN row");
        assertEquals(0.8807970779778823, r[1], EPS);
        assertEquals(0, r[2]);
        double[] max = Reference.columnReduce(q, K, spec(Mask.causal(Mask.Alignment.TOP_LEFT)).reduction(Reduction.MAX).build());
        assertTrue(Double.isNaN(max[0]), "MAX propagates NaN");
        // an infinite key poisons every row that sees it
        Tensor k = Tensor.f32(new float[]{0, Float.POSITIVE_INFINITY, 2}, 1, 1, 3, 1);
        double[] inf = Reference.columnReduce(Q, k, spec(Mask.causal(Mask.Alignment.TOP_LEFT)).build());
        assertTrue(Double.isNaN(inf[0]) && Double.isNaN(inf[1]) && inf[2] == 0, java.util.Arrays.toString(inf));
    }

    @Test
    void readsStridedViewsAndHalfTypes() {
        Inputs in = new Inputs(42);
        for (DType dt : DType.values())
            for (Inputs.Layout layout : Inputs.Layout.values()) {
                Tensor q = in.normal(dt, layout, 2, 4, 7, 5, 1), k = in.normal(dt, layout, 2, 2, 9, 5, 1);
                ColumnReduction r = ColumnReduction.builder().mask(Mask.causal()).heads(HeadReduction.GROUP_SUM).build();
                assertArrayEquals(Reference.columnReduce(Inputs.contiguousCopy(q), Inputs.contiguousCopy(k), r), Reference.columnReduce(q, k, r), 0,
                        dt + " " + layout);
                for (float v : q.toFloatArray()) assertEquals(dt.round(v), v, "values are stored rounded to " + dt);
            }
    }

    /** The Mask helpers backends use agree with the spec's formula that the reference uses. */
    @Test
    void maskHelpersAgreeWithTheSpec() {
        for (int lenQ = 0; lenQ <= 7; lenQ++)
            for (int lenK = 0; lenK <= 7; lenK++)
                for (Mask mask : new Mask[]{Mask.none(), Mask.causal(), Mask.causal(Mask.Alignment.TOP_LEFT), Mask.slidingWindow(1),
                        Mask.slidingWindow(3), Mask.slidingWindow(2, Mask.Alignment.TOP_LEFT), Mask.slidingWindow(9, Mask.Alignment.TOP_LEFT)}) {
                    String at = mask + " lenQ " + lenQ + " lenK " + lenK;
                    for (int j = 0; j < 9; j++) {
                        int rows = 0;
                        for (int i = 0; i < 9; i++) {
                            boolean v = Reference.visible(mask, i, j, lenQ, lenK);
                            if (v) rows++;
                            assertEquals(v, mask.visible(i, j, lenQ, lenK), at + " i " + i + " j " + j);
                            boolean inRange = j >= mask.firstKey(i, lenQ, lenK) && j <= mask.lastKey(i, lenQ, lenK);
                            assertEquals(v, inRange, at + " firstKey/lastKey, i " + i + " j " + j);
                        }
                        assertEquals(rows, mask.rowsSeeing(j, lenQ, lenK), at + " rowsSeeing j " + j);
                    }
                }
    }
}
