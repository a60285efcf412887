package org.colreduce.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.colreduce.ColReduce;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.ResidentTensor;
import org.colreduce.Session;
import org.colreduce.Tensor;
import org.colreduce.spi.Availability;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUDA provider against a float64 double loop, on small shapes that reach every kernel path:
 * the three element types, each head-dimension padding, split row statistics, every mask kind
 * and head reduction, views, resident tensors, NaN and determinism. Skips, with the reason,
 * where there is no GPU.
 */
class CudaDirectTest {
    private static Session session;
    private static final long SEED = Long.getLong("colreduce.test.seed", System.nanoTime());

    @BeforeAll
    static void open() {
        if (new CudaBackend().availability().available()) session = ColReduce.open(new CudaBackend());
    }

    // per test, so that every test is reported as skipped with the reason
    @BeforeEach
    void requireGpu() {
        Availability a = new CudaBackend().availability();
        assumeTrue(a.available(), "CUDA backend unavailable: " + a.reason());
    }

    @AfterAll
    static void close() {
        if (session != null) session.close();
    }

    static Tensor random(DType t, Random r, double sigma, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        Tensor x = switch (t) {
            case F32 -> Tensor.f32(new float[(int) n], shape);
            case F16 -> Tensor.f16(new short[(int) n], shape);
            case BF16 -> Tensor.bf16(new short[(int) n], shape);
        };
        for (long i = 0; i < n; i++) x.setAt(i, (float) (r.nextGaussian() * sigma));
        return x;
    }

    private void check(String what, DType t, int b, int hq, int hkv, int m, int n, int d, ColumnReduction cr, boolean withPrevious, double sigma) {
        Random r = new Random(SEED ^ what.hashCode());
        Tensor q = random(t, r, sigma, b, hq, m, d), k = random(t, r, sigma, b, hkv, n, d);
        long[] shape = Session.outputShape(q, k, cr.heads());
        Tensor prev = withPrevious ? random(DType.F32, r, 1, shape[0], shape[1], Math.max(1, n / 2)) : null;
        if (shape.length == 2) prev = null;
        Tensor out = Tensor.zerosF32(shape);
        session.columnReduce(q, k, cr, out, prev);
        double scale = Double.isNaN(cr.scale()) ? 1 / Math.sqrt(d) : cr.scale();
        double[] ref = DoubleReference.columnReduce(q, k, scale, cr.mask(), cr.reduction(), cr.heads(), cr.queryLengths(), cr.keyLengths(), prev);
        float[] got = out.toFloatArray();
        double rel = DoubleReference.relativeError(ref, got), mx = DoubleReference.maxError(ref, got);
        double tol = t == DType.F32 ? 1e-5 : 1e-4;
        String msg = what + " " + t + " seed " + SEED + ": relative error " + rel + ", max error " + mx;
        System.out.println(msg);
        assertTrue(rel <= tol && mx <= 1e-3, msg);
    }

    @Test void plainSum() {
        for (DType t : DType.values()) check("plain", t, 2, 4, 4, 100, 300, 128, ColumnReduction.sum(), false, 1);
    }

    @Test void gqaCausalLengthsMeanGroupMean() {
        ColumnReduction cr = ColumnReduction.builder().reduction(Reduction.MEAN).heads(HeadReduction.GROUP_MEAN).mask(Mask.causal())
                .queryLengths(70, 0, 33).keyLengths(190, 50, 0).build();
        for (DType t : DType.values()) check("gqa-causal-lengths", t, 3, 6, 2, 70, 200, 64, cr, false, 1);
    }

    @Test void slidingWindowTopLeftMaxPaddedD() {
        ColumnReduction cr = ColumnReduction.builder().reduction(Reduction.MAX).mask(Mask.slidingWindow(37, Mask.Alignment.TOP_LEFT)).build();
        for (DType t : DType.values()) check("window-max", t, 1, 2, 1, 150, 170, 96, cr, false, 1);
    }

    @Test void headSumWithPreviousOddD() {
        ColumnReduction cr = ColumnReduction.builder().heads(HeadReduction.GROUP_SUM).mask(Mask.slidingWindow(50)).build();
        for (DType t : DType.values()) check("groupsum-previous", t, 2, 4, 2, 90, 130, 33, cr, true, 1);
        ColumnReduction all = ColumnReduction.builder().heads(HeadReduction.MEAN).mask(Mask.causal(Mask.Alignment.TOP_LEFT)).build();
        for (DType t : DType.values()) check("headmean", t, 2, 4, 2, 90, 130, 7, all, false, 1);
    }

    @Test void decodeSplitsD256() {
        ColumnReduction cr = ColumnReduction.builder().mask(Mask.causal()).build();
        for (DType t : DType.values()) check("decode-d256", t, 1, 2, 2, 3, 4000, 256, cr, false, 1);
        for (DType t : DType.values()) check("decode-d200-gqa", t, 1, 8, 1, 16, 2500, 200, cr, false, 1);
    }

    /** M ≥ 128 on sm_90: the column pass on items of 128 queries (LaunchPlan.COLUMN_QUERIES), masked items included. */
    /** M ≥ 128 on sm_90: the column pass on items of 128 queries (LaunchPlan.COLUMN_QUERIES), masked items included. */
    @Test void wideColumnItemsEveryReduction() {
        ColumnReduction heads = ColumnReduction.builder().reduction(Reduction.MEAN).heads(HeadReduction.MEAN).mask(Mask.causal()).build();
        check("wide-gqa-head-mean", DType.F16, 1, 8, 2, 640, 700, 128, heads, false, 1);
        for (Reduction red : Reduction.values()) {
            ColumnReduction cr = ColumnReduction.builder().reduction(red).mask(Mask.causal()).keyLengths(500, 377).queryLengths(300, 211).build();
            for (DType t : new DType[]{DType.F16, DType.BF16}) check("wide-causal-" + red, t, 2, 4, 2, 300, 500, 128, cr, false, 1);
            ColumnReduction window = ColumnReduction.builder().reduction(red).mask(Mask.slidingWindow(100)).build();
            for (DType t : new DType[]{DType.F16, DType.BF16}) check("wide-window-d64-" + red, t, 1, 2, 1, 260, 330, 64, window, false, 1);
        }
    }

    /** M > 64 on sm_90: row statistics on tiles of 128 keys (LaunchPlan.ROW_KEYS), split over keys where rows are few. */
    @Test void wideKeyTilesSplit() {
        ColumnReduction cr = ColumnReduction.builder().mask(Mask.causal()).keyLengths(5000, 4321).queryLengths(200, 77).build();
        for (DType t : new DType[]{DType.F16, DType.BF16}) check("wide-keys-split", t, 2, 2, 1, 200, 5000, 128, cr, false, 1);
        ColumnReduction plain = ColumnReduction.builder().reduction(Reduction.MAX).build();
        for (DType t : new DType[]{DType.F16, DType.BF16}) check("wide-keys-d64", t, 1, 2, 2, 130, 3000, 64, plain, false, 1);
    }

    @Test void decodeStreamGqaEveryReduction() {
        for (Reduction red : Reduction.values()) {
            ColumnReduction cr = ColumnReduction.builder().reduction(red).mask(Mask.slidingWindow(900)).keyLengths(3000, 1700).queryLengths(5, 2).build();
            for (DType t : DType.values()) check("decode-stream-" + red, t, 2, 8, 2, 5, 3000, 128, cr, false, 1);
            ColumnReduction plain = ColumnReduction.builder().reduction(red).build();
            for (DType t : DType.values()) check("decode-stream-plain-" + red, t, 1, 4, 4, 64, 1000, 64, plain, false, 1);
        }
    }

    @Test void peakyLogits() {
        ColumnReduction cr = ColumnReduction.builder().scale(3.0).build();
        for (DType t : DType.values()) check("peaky", t, 1, 2, 2, 64, 256, 64, cr, false, 1);
    }

    @Test void transposedViewEqualsContiguous() {
        Random r = new Random(SEED);
        Tensor bmhd = random(DType.F16, r, 1, 2, 50, 3, 40), k = random(DType.F16, r, 1, 2, 3, 80, 40);
        Tensor q = bmhd.transpose(1, 2);
        float[] a = session.columnReduce(q, k, ColumnReduction.sum());
        Tensor dense = Tensor.f16(new short[2 * 3 * 50 * 40], 2, 3, 50, 40);
        float[] qa = q.toFloatArray();
        for (int i = 0; i < qa.length; i++) dense.setAt(i, qa[i]);
        float[] b = session.columnReduce(dense, k, ColumnReduction.sum());
        assertArrayEquals(b, a);
    }

    @Test void residentInPlaceAccumulateAndDeterminism() {
        Random r = new Random(SEED);
        Tensor q = random(DType.BF16, r, 1, 1, 4, 40, 80), k = random(DType.BF16, r, 1, 1, 4, 300, 80);
        try (ResidentTensor rq = session.upload(q); ResidentTensor rk = session.upload(k);
             ResidentTensor acc = session.allocate(DType.F32, 1, 4, 300)) {
            assertArrayEquals(k.toFloatArray(), session.download(rk));
            session.columnReduce(rq, rk, ColumnReduction.sum(), acc, acc);
            session.columnReduce(rq, rk, ColumnReduction.sum(), acc, acc);
            float[] twice = session.download(acc);
            float[] once = session.columnReduce(q, k, ColumnReduction.sum());
            for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-5f * Math.max(1, Math.abs(once[i])));
            float[] again = session.columnReduce(q, k, ColumnReduction.sum());
            assertArrayEquals(once, again, "same bits on every run");
        }
    }

    @Test void nanPoisonsOnlyWhatTheRowSees() {
        Random r = new Random(SEED);
        Tensor q = random(DType.F16, r, 1, 1, 1, 64, 64), k = random(DType.F16, r, 1, 1, 1, 128, 64);
        q.set(Float.NaN, 0, 0, 0, 3); // row 0 sees key 0..64 under bottom-right causal (offset 64)
        float[] out = session.columnReduce(q, k, ColumnReduction.builder().mask(Mask.causal()).build());
        for (int j = 0; j < 128; j++) assertEquals(j <= 64, Float.isNaN(out[j]), "column " + j);
    }
}
