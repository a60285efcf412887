package org.colreduce.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.colreduce.ColReduce;
import org.colreduce.ColumnReduction;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Session;
import org.colreduce.Tensor;
import org.colreduce.conformance.AttentionReference;
import org.junit.jupiter.api.Test;

/** CPU specifics of {@link AttentionPass}: bits independent of the thread count (SPEC §8.1), and a long decode row. */
class AttentionPassTest {
    private final long seed = new Random().nextLong();
    private final Random random = new Random(seed);

    @Test
    void sameBitsForAnyThreadCount() {
        // B·Hq = 2 splits each head's 3 row tiles into chunks: the chunking must not follow the threads
        Tensor q = random(1, 2, 70, 40), k = random(1, 1, 300, 40), v = random(1, 1, 300, 24);
        ColumnReduction r = ColumnReduction.builder().heads(HeadReduction.GROUP_SUM).mask(Mask.causal()).build();
        Session.Attention first = null;
        for (CpuBackend backend : new CpuBackend[]{new CpuBackend(false, 1), new CpuBackend(false, 3), new CpuBackend(false, 0)}) {
            try (Session s = ColReduce.open(backend)) {
                Session.Attention a = s.attend(q, k, v, r);
                if (first == null) first = a;
                String what = backend.availability().reason() + " [seed " + seed + "]";
                assertArrayEquals(bits(first.output()), bits(a.output()), what + ": O");
                assertArrayEquals(bits(first.scores()), bits(a.scores()), what + ": scores");
            }
        }
    }

    @Test
    void groupsOfRowTilesMatchTheReference() {
        // B·Hq ≥ TARGET_TASKS: one chunk per head, so its row tiles go in groups sharing K and V tiles
        int hq = AttentionPass.TARGET_TASKS, m = AttentionPass.GROUP * TileShape.ROWS + 5, n = 300;
        Tensor q = random(1, hq, m, 8), k = random(1, 8, n, 8), v = random(1, 8, n, 12);
        ColumnReduction[] specs = {
                ColumnReduction.builder().mask(Mask.causal()).heads(HeadReduction.GROUP_SUM).build(),
                ColumnReduction.builder().mask(Mask.slidingWindow(40, Mask.Alignment.TOP_LEFT)).build(),
                ColumnReduction.builder().reduction(org.colreduce.Reduction.MAX).queryLengths(m - 70).keyLengths(n - 90).build()};
        try (Session s = ColReduce.open(new CpuBackend())) {
            for (ColumnReduction r : specs) {
                Session.Attention a = s.attend(q, k, v, r);
                AttentionReference.Result ref = AttentionReference.attend(q, k, v, r);
                double err = relative(a.output().toFloatArray(), ref.output());
                assertTrue(err <= 1e-5, r + ": O relative Frobenius error " + err + " [seed " + seed + "]");
                err = relative(a.scores().toFloatArray(), ref.scores());
                assertTrue(err <= 1e-5, r + ": scores relative Frobenius error " + err + " [seed " + seed + "]");
            }
        }
    }

    @Test
    void longDecodeRowStaysWithinF32Tolerance() {
        Tensor q = random(1, 4, 1, 128), k = random(1, 2, 6000, 128), v = random(1, 2, 6000, 128);
        ColumnReduction r = ColumnReduction.builder().mask(Mask.causal()).build();
        try (Session s = ColReduce.open(new CpuBackend())) {
            Session.Attention a = s.attend(q, k, v, r);
            AttentionReference.Result ref = AttentionReference.attend(q, k, v, r);
            double err = relative(a.output().toFloatArray(), ref.output());
            assertTrue(err <= 1e-5, "O relative Frobenius error " + err + " [seed " + seed + "]");
            err = relative(a.scores().toFloatArray(), ref.scores());
            assertTrue(err <= 1e-5, "scores relative Frobenius error " + err + " [seed " + seed + "]");
        }
    }

    @Test
    void vectorAndScalarValueKernelsGiveTheSameBits() {
        ValueKernels vector = ValueKernels.matching(Kernels.select(false)), scalar = ValueKernels.Scalar.INSTANCE;
        for (int dv : new int[]{1, 7, 16, 37, 64, 130}) {
            for (int rows : new int[]{1, 3, 4, 30, 32}) {
                float[][] p = new float[TileShape.ROWS][TileShape.KEYS];
                int[] from = new int[TileShape.ROWS], to = new int[TileShape.ROWS];
                float[] v = new float[TileShape.KEYS * dv];
                for (float[] row : p) for (int j = 0; j < row.length; j++) row[j] = random.nextFloat();
                for (int x = 0; x < v.length; x++) v[x] = (float) random.nextGaussian();
                for (int i = 0; i < rows; i++) {
                    // diagonal, empty, full, narrow and disjoint ranges
                    int kind = random.nextInt(5);
                    from[i] = kind == 2 ? 0 : random.nextInt(TileShape.KEYS);
                    to[i] = kind == 1 ? from[i] : kind == 2 ? TileShape.KEYS : Math.min(TileShape.KEYS, from[i] + 1 + random.nextInt(kind == 3 ? 3 : 100));
                }
                float[] a = new float[TileShape.ROWS * dv], b = new float[TileShape.ROWS * dv];
                java.util.Arrays.fill(a, Float.NaN);
                java.util.Arrays.fill(b, Float.NaN);
                vector.weightedRows(p, rows, from, to, v, dv, a);
                scalar.weightedRows(p, rows, from, to, v, dv, b);
                int[] ba = new int[rows * dv], bb = new int[rows * dv];
                for (int x = 0; x < rows * dv; x++) { ba[x] = Float.floatToRawIntBits(a[x]); bb[x] = Float.floatToRawIntBits(b[x]); }
                assertArrayEquals(bb, ba, "dv " + dv + ", rows " + rows + " [seed " + seed + "]");
            }
        }
    }

    @Test
    void confinedValuesAndOutputRunOnTheCallersThread() {
        // a confined arena may only be touched by its owner: V and O there must not reach a worker
        Tensor q = random(2, 4, 40, 16), k = random(2, 2, 50, 16), vHeap = random(2, 2, 50, 8);
        ColumnReduction r = ColumnReduction.builder().mask(Mask.causal()).build();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined(); Session s = ColReduce.open(new CpuBackend(false, 2))) {
            Tensor v = Tensor.of(arena.allocate(vHeap.elementCount() * 4, 4), org.colreduce.DType.F32, vHeap.shape());
            Tensor o = Tensor.of(arena.allocate(2L * 4 * 40 * 8 * 4, 4), org.colreduce.DType.F32, 2, 4, 40, 8);
            float[] values = vHeap.toFloatArray();
            for (int x = 0; x < values.length; x++) v.setAt(x, values[x]);
            s.attend(q, k, v, r, o, Tensor.zerosF32(2, 4, 50), null);
            double err = relative(o.toFloatArray(), AttentionReference.attend(q, k, vHeap, r).output());
            assertTrue(err <= 1e-5, "O relative Frobenius error " + err + " [seed " + seed + "]");
        }
    }

    private static double relative(float[] a, double[] e) {
        double err = 0, norm = 0;
        for (int x = 0; x < a.length; x++) {
            err += (a[x] - e[x]) * (a[x] - e[x]);
            norm += e[x] * e[x];
        }
        return Math.sqrt(err / norm);
    }

    private static int[] bits(Tensor t) {
        float[] f = t.toFloatArray();
        int[] b = new int[f.length];
        for (int x = 0; x < f.length; x++) b[x] = Float.floatToRawIntBits(f[x]);
        return b;
    }

    private Tensor random(long... shape) {
        float[] a = new float[Math.toIntExact(shape[0] * shape[1] * shape[2] * shape[3])];
        for (int x = 0; x < a.length; x++) a[x] = (float) random.nextGaussian();
        return Tensor.f32(a, shape);
    }
}
