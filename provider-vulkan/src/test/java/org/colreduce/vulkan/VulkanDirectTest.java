package org.colreduce.vulkan;

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
import org.junit.jupiter.api.Test;

/** Direct checks of the Vulkan backend against a float64 double loop, with the validation layer on. */
class VulkanDirectTest {
    static Session session;

    @BeforeAll
    static void open() {
        System.setProperty("colreduce.vulkan.validation", "true");
        Availability a = new VulkanBackend().availability();
        System.out.println("Vulkan: " + a.reason());
        assumeTrue(a.available(), a.reason());
        session = ColReduce.open(new VulkanBackend());
    }

    @AfterAll
    static void close() {
        if (session != null) session.close();
        System.out.println("Vulkan validation layer active: " + ValidationLog.layerActive() + ", messages: " + ValidationLog.messages().size());
        assertEquals(java.util.List.of(), ValidationLog.messages(), "validation messages");
    }

    static Tensor random(Random rnd, DType t, double amp, long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        return switch (t) {
            case F32 -> { float[] a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * amp); yield Tensor.f32(a, shape); }
            case F16 -> { short[] a = new short[n]; for (int i = 0; i < n; i++) a[i] = DType.floatToF16((float) ((rnd.nextDouble() * 2 - 1) * amp)); yield Tensor.f16(a, shape); }
            case BF16 -> { short[] a = new short[n]; for (int i = 0; i < n; i++) a[i] = DType.floatToBf16((float) ((rnd.nextDouble() * 2 - 1) * amp)); yield Tensor.bf16(a, shape); }
        };
    }

    static Tensor filled(float value, long... shape) {
        Tensor t = Tensor.zerosF32(shape);
        java.util.Arrays.fill((float[]) t.segment().heapBase().orElseThrow(), value);
        return t;
    }

    void check(long seed, DType t, int b, int hq, int hkv, int m, int n, int d, Mask mask, Reduction red, HeadReduction heads, int[] lenQ, int[] lenK, boolean withPrev) {
        check(session, seed, t, b, hq, hkv, m, n, d, mask, red, heads, lenQ, lenK, withPrev);
    }

    static void check(Session session, long seed, DType t, int b, int hq, int hkv, int m, int n, int d, Mask mask, Reduction red, HeadReduction heads, int[] lenQ, int[] lenK, boolean withPrev) {
        Random rnd = new Random(seed);
        Tensor q = random(rnd, t, 2.0, b, hq, m, d), k = random(rnd, t, 2.0, b, hkv, n, d);
        ColumnReduction.Builder rb = ColumnReduction.builder().mask(mask).reduction(red).heads(heads);
        if (lenQ != null) rb.queryLengths(lenQ);
        if (lenK != null) rb.keyLengths(lenK);
        ColumnReduction r = rb.build();
        long[] shape = Session.outputShape(q, k, heads);
        Tensor out = Tensor.zerosF32(shape);
        float[] prev = null;
        int prevLen = Math.max(1, n - 3);
        Tensor prevT = null;
        if (withPrev) {
            long[] ps = shape.clone();
            ps[ps.length - 1] = prevLen;
            prevT = random(rnd, DType.F32, 1.0, ps);
            prev = prevT.toFloatArray();
        }
        session.columnReduce(q, k, r, out, prevT);
        double scale = 1.0 / Math.sqrt(d);
        double[] ref = DirectReference.compute(q, k, scale, mask, red, heads, lenQ, lenK, prev, prevLen);
        float[] got = out.toFloatArray();
        double num = 0, den = 0, maxRef = 0, maxErr = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (got[i] - ref[i]) * (got[i] - ref[i]);
            den += ref[i] * ref[i];
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxErr = Math.max(maxErr, Math.abs(got[i] - ref[i]));
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-300));
        double tol = t == DType.F32 ? 1e-5 : 1e-4;
        String what = "seed " + seed + " " + t + " B" + b + " Hq" + hq + " Hkv" + hkv + " M" + m + " N" + n + " D" + d + " " + mask + " " + red + " " + heads;
        assertTrue(rel <= tol, what + ": relative error " + rel);
        assertTrue(maxErr <= 1e-3 * maxRef + 1e-30, what + ": max error " + maxErr + " of " + maxRef);
    }

    @Test void sumNoMaskF32() { check(1, DType.F32, 2, 2, 2, 37, 45, 16, Mask.none(), Reduction.SUM, HeadReduction.NONE, null, null, false); }
    @Test void sumCausalF16Gqa() { check(2, DType.F16, 1, 4, 2, 70, 70, 64, Mask.causal(), Reduction.SUM, HeadReduction.NONE, null, null, false); }
    @Test void meanTopLeftBf16() { check(3, DType.BF16, 2, 2, 1, 33, 50, 7, Mask.causal(Mask.Alignment.TOP_LEFT), Reduction.MEAN, HeadReduction.GROUP_MEAN, null, null, false); }
    @Test void maxSlidingF32() { check(4, DType.F32, 1, 3, 3, 40, 64, 100, Mask.slidingWindow(9), Reduction.MAX, HeadReduction.NONE, null, null, false); }
    @Test void lengthsAndPreviousF16() { check(5, DType.F16, 3, 4, 1, 20, 33, 48, Mask.causal(), Reduction.SUM, HeadReduction.MEAN, new int[]{20, 5, 0}, new int[]{33, 10, 7}, true); }
    @Test void groupSumD256() { check(6, DType.F32, 1, 4, 2, 9, 70, 256, Mask.none(), Reduction.SUM, HeadReduction.GROUP_SUM, null, null, true); }
    @Test void headSumSingle() { check(7, DType.F32, 1, 1, 1, 1, 1, 1, Mask.none(), Reduction.SUM, HeadReduction.SUM, null, null, false); }

    // shapes that take the cooperative-matrix path where the device has one (F16, D % 16 == 0), over several tiles
    @Test void coopTilesCausalGroupSum() { check(10, DType.F16, 2, 4, 2, 200, 300, 128, Mask.causal(), Reduction.SUM, HeadReduction.GROUP_SUM, null, null, false); }
    @Test void coopSlidingMax() { check(11, DType.F16, 1, 2, 2, 130, 257, 16, Mask.slidingWindow(40), Reduction.MAX, HeadReduction.NONE, null, null, false); }
    @Test void coopD256MeanOverHeads() { check(12, DType.F16, 1, 2, 1, 70, 90, 256, Mask.none(), Reduction.MEAN, HeadReduction.MEAN, null, null, false); }
    // M ≥ 256 at D = 128: pass 1 on the cm2 path takes 128-row tiles of 256 invocations; full and cut tiles, GQA, lengths
    @Test void coopWideRowsCausalLengths() { check(14, DType.F16, 2, 2, 1, 300, 390, 128, Mask.causal(), Reduction.SUM, HeadReduction.GROUP_SUM, new int[]{300, 257}, new int[]{390, 260}, false); }
    @Test void coopWideRowsSlidingMean() { check(15, DType.F16, 1, 2, 2, 512, 640, 128, Mask.slidingWindow(100), Reduction.MEAN, HeadReduction.NONE, null, null, false); }
    @Test void coopWideRowsMaxFullTiles() { check(16, DType.F16, 1, 1, 1, 384, 256, 128, Mask.none(), Reduction.MAX, HeadReduction.NONE, null, null, true); }
    @Test void coopLongKeysFewRows() { check(13, DType.F16, 1, 2, 2, 3, 2000, 64, Mask.causal(), Reduction.SUM, HeadReduction.NONE, new int[]{2}, new int[]{1900}, true); }

    /**
     * Q and K over one binding's range go in batch chunks, forced here with a small limit: room for
     * two batches of Q plus the tensor-core slack, so every path splits 5 batches into chunks.
     */
    @Test
    void batchChunksWhereOneBindingIsTooSmall() {
        // F32: Q 65536 bytes and K 49152 bytes per batch; F16: half of that
        for (DType t : new DType[]{DType.F32, DType.F16}) {
            long qPerBatch = 4L * 64 * 64 * t.byteSize();
            System.setProperty("colreduce.vulkan.maxBindingBytes", String.valueOf(VulkanSession.SLACK_BYTES + 2 * qPerBatch + 100));
            try (Session small = ColReduce.open(new VulkanBackend())) {
                check(small, 20, t, 5, 4, 2, 64, 96, 64, Mask.causal(), Reduction.SUM, HeadReduction.NONE, null, new int[]{96, 70, 1, 96, 20}, true);
                check(small, 21, t, 5, 4, 2, 64, 96, 64, Mask.none(), Reduction.MEAN, HeadReduction.MEAN, new int[]{64, 3, 64, 0, 20}, null, false);
                check(small, 22, t, 5, 4, 2, 64, 96, 64, Mask.slidingWindow(6), Reduction.MAX, HeadReduction.NONE, null, null, false);
                check(small, 23, t, 5, 4, 2, 64, 96, 64, Mask.causal(), Reduction.SUM, HeadReduction.GROUP_SUM, null, null, true);
            } finally {
                System.clearProperty("colreduce.vulkan.maxBindingBytes");
            }
        }
        System.setProperty("colreduce.vulkan.maxBindingBytes", "1000");
        try (Session tiny = ColReduce.open(new VulkanBackend())) {
            Random rnd = new Random(24);
            Tensor q = random(rnd, DType.F32, 1, 2, 1, 20, 16), k = random(rnd, DType.F32, 1, 2, 1, 36, 16);
            Tensor out = filled(-1f, 2, 1, 36);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tiny.columnReduce(q, k, ColumnReduction.sum(), out));
            assertTrue(e.getMessage().contains("even for one batch"), e.getMessage());
            for (float x : out.toFloatArray()) assertEquals(-1f, x, "out untouched");
            float[] fine = tiny.columnReduce(q.slice(2, 0, 2), k.slice(2, 0, 3), ColumnReduction.sum());   // the session stays usable
            assertEquals(2 * 1 * 3, fine.length);
        } finally {
            System.clearProperty("colreduce.vulkan.maxBindingBytes");
        }
    }

    @Test
    void stridedAndResidentMatchContiguous() {
        Random rnd = new Random(9);
        Tensor bmhd = random(rnd, DType.F16, 1.0, 2, 40, 3, 32);   // [B, M, H, D]
        Tensor q = bmhd.transpose(1, 2);
        Tensor k = random(rnd, DType.F16, 1.0, 2, 3, 50, 32);
        ColumnReduction r = ColumnReduction.builder().mask(Mask.causal()).build();
        float[] a = session.columnReduce(q, k, r);
        Tensor qc = Tensor.f16(new short[2 * 3 * 40 * 32], 2, 3, 40, 32);
        for (int b = 0; b < 2; b++) for (int h = 0; h < 3; h++) for (int i = 0; i < 40; i++) for (int d = 0; d < 32; d++) qc.set(q.get(b, h, i, d), b, h, i, d);
        float[] c = session.columnReduce(qc, k, r);
        assertArrayEquals(c, a);
        try (ResidentTensor rq = session.upload(qc); ResidentTensor rk = session.upload(k)) {
            assertArrayEquals(c, session.columnReduce(rq, rk, r));
            assertArrayEquals(qc.toFloatArray(), session.download(rq));
            ResidentTensor acc = session.allocate(DType.F32, 2, 3, 50);
            session.columnReduce(rq, rk, r, acc, acc);
            session.columnReduce(rq, rk, r, acc, acc);
            float[] twice = session.download(acc);
            for (int i = 0; i < c.length; i++) assertEquals(2 * c[i], twice[i], 1e-5f * Math.max(1, Math.abs(c[i])));
        }
    }

    /**
     * SPEC 4.1 at logits near 5e4 with near-ties: each batch has one query row, so its columns add
     * up to that row's sum of P, which must be 1. The keys of a batch are one large vector plus
     * small noise, so many logits lie within a few units of the max and l is well above 1; a single
     * float lse = m + log2 l is then off by up to half an ulp (~0.004), moving the row's sum by up
     * to ~0.3%, while (m, log2 l) kept apart hold it to float rounding.
     */
    @Test void rowsOfPSumToOneAtHugeLogits() {
        int b = 64, n = 40, d = 32;
        Random rnd = new Random(7);
        float[] q = new float[b * d], k = new float[b * n * d];
        for (int bi = 0; bi < b; bi++) {
            float[] base = new float[d];
            for (int e = 0; e < d; e++) { base[e] = (float) ((rnd.nextDouble() * 2 - 1) * 400); q[bi * d + e] = (float) ((rnd.nextDouble() * 2 - 1) * 400); }
            for (int j = 0; j < n; j++) for (int e = 0; e < d; e++) k[(bi * n + j) * d + e] = base[e] + (float) ((rnd.nextDouble() * 2 - 1) * 0.02);
        }
        Tensor out = Tensor.zerosF32(b, 1, n);
        session.columnReduce(Tensor.f32(q, b, 1, 1, d), Tensor.f32(k, b, 1, n, d), ColumnReduction.builder().build(), out, null);
        float[] got = out.toFloatArray();
        double worst = 0;
        for (int bi = 0; bi < b; bi++) {
            double total = 0;
            for (int j = 0; j < n; j++) total += got[bi * n + j];
            worst = Math.max(worst, Math.abs(total - 1));
        }
        assertTrue(worst < 1e-5, "a row of P sums to 1 ± " + worst);
    }
}
