package org.colreduce.cuda;

import static org.junit.jupiter.api.Assertions.*;

import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Tensor;
import org.colreduce.spi.ReduceProblem;
import org.junit.jupiter.api.Test;

/** Grid and tile arithmetic, checked without a GPU. */
class LaunchPlanTest {
    private static ReduceProblem problem(DType t, int b, int hq, int hkv, int m, int n, int d, HeadReduction heads) {
        Tensor q = Tensor.of(java.lang.foreign.MemorySegment.ofArray(new byte[8]), t, 0, new long[]{b, hq, m, d}, new long[]{0, 0, 0, 0});
        Tensor k = Tensor.of(java.lang.foreign.MemorySegment.ofArray(new byte[8]), t, 0, new long[]{b, hkv, n, d}, new long[]{0, 0, 0, 0});
        long[] os = ReduceProblem.outputShape(b, hq, hkv, n, heads);
        Tensor out = Tensor.of(java.lang.foreign.MemorySegment.ofArray(new float[2]), DType.F32, 0, os, new long[os.length]);
        return ReduceProblem.of(q, k, ColumnReduction.builder().heads(heads).build(), out, null, null);
    }

    @Test void paddings() {
        assertEquals(64, LaunchPlan.paddedDim(1));
        assertEquals(64, LaunchPlan.paddedDim(64));
        assertEquals(128, LaunchPlan.paddedDim(65));
        assertEquals(256, LaunchPlan.paddedDim(129));
        assertEquals(256, LaunchPlan.paddedDim(256));
        assertThrows(IllegalArgumentException.class, () -> LaunchPlan.paddedDim(257));
    }

    @Test void hopperDecodeKernelsUseShallowerRings() {
        LaunchPlan decode = LaunchPlan.of(problem(DType.F16, 64, 32, 32, 64, 16384, 128, HeadReduction.NONE), 132, true);
        assertEquals("row_statistics_f16_d128_wg_s3", decode.rowKernel());
        assertEquals("column_stream_sum_f16_d128_wg_s2", decode.columnKernel(org.colreduce.Reduction.SUM));
        assertEquals((3 * 64) * 128 * 2 + 1024, decode.rowSmem(), "the Q tile borrows a stage of the 3-stage ring");
        assertEquals((2 * 64 + 64) * 128 * 2 + 64 * 8 + 1024, decode.columnSmem());
        LaunchPlan wide = LaunchPlan.of(problem(DType.F16, 1, 8, 8, 64, 4096, 256, HeadReduction.NONE), 132, true);
        assertEquals("row_statistics_f16_d256_wg", wide.rowKernel(), "no 3-stage kernels at D = 256");
        LaunchPlan prefill = LaunchPlan.of(problem(DType.F16, 1, 32, 32, 4096, 4096, 128, HeadReduction.NONE), 132, true);
        assertEquals("row_statistics_f16_d128_wg8_k128", prefill.rowKernel());
        assertEquals((128 + 2 * 128) * 128 * 2 + 1024, prefill.rowSmem(), "Q apart, 2 stages of 128 keys");
        assertEquals(0, prefill.keysPerSplit() % 128, "splits on whole tiles");
        assertEquals("column_sum_f16_d128_wg8_q128", prefill.columnKernel(org.colreduce.Reduction.SUM));
    }

    @Test void decodeSplitsKeysButLargePrefillDoesNot() {
        LaunchPlan decode = LaunchPlan.of(problem(DType.F16, 1, 32, 32, 64, 16384, 128, HeadReduction.NONE), 132);
        assertTrue(decode.splits() > 1, "few query tiles split the keys: " + decode);
        assertTrue((long) decode.splits() * decode.keysPerSplit() >= 16384);
        assertTrue((long) (decode.splits() - 1) * decode.keysPerSplit() < 16384, "no empty split");
        assertEquals(0, decode.keysPerSplit() % decode.keyTile());
        assertTrue(decode.stream(), "decoding streams K past resident query tiles");
        assertEquals("column_stream_sum_f16_d128", decode.columnKernel(org.colreduce.Reduction.SUM));
        assertTrue(decode.columnBlocksX() * decode.columnKeysPerBlock() >= 16384);
        assertEquals(0, decode.columnKeysPerBlock() % 64);
        LaunchPlan prefill = LaunchPlan.of(problem(DType.F16, 16, 32, 32, 1024, 1024, 128, HeadReduction.NONE), 132);
        assertEquals(1, prefill.splits());
        assertEquals(16 * 32, prefill.rowBlocksY());
        assertEquals(16, prefill.rowBlocksX());
        assertEquals(16, prefill.columnBlocksX());
        assertTrue(prefill.direct());
    }

    @Test void wideColumnItemsOnHopper() {
        LaunchPlan p = LaunchPlan.of(problem(DType.F16, 1, 32, 32, 4096, 4096, 128, HeadReduction.NONE), 132, true);
        assertEquals(128, p.columnRows());
        assertEquals("column_sum_f16_d128_wg8_q128", p.columnKernel(org.colreduce.Reduction.SUM));
        assertEquals((128 + 2 * 128) * 128 * 2 + 2 * 128 * 8 + 1024, p.columnSmem(), "K, 2 stages of 128 queries, their (m, lg)");
        LaunchPlan d64 = LaunchPlan.of(problem(DType.BF16, 1, 32, 32, 4096, 4096, 64, HeadReduction.NONE), 132, true);
        assertEquals("column_max_bf16_d64_wg8_q128", d64.columnKernel(org.colreduce.Reduction.MAX));
        assertEquals((128 + 3 * 128) * 64 * 2 + 3 * 128 * 8 + 1024, d64.columnSmem());
        LaunchPlan few = LaunchPlan.of(problem(DType.F16, 1, 32, 8, 100, 4096, 128, HeadReduction.NONE), 132, true);
        assertFalse(few.stream(), "8 query tiles per KV group");
        assertEquals(64, few.columnRows(), "fewer than 128 queries keep items of 64");
        assertEquals("column_sum_f16_d128_wg8", few.columnKernel(org.colreduce.Reduction.SUM));
        LaunchPlan off = LaunchPlan.of(problem(DType.F16, 1, 32, 32, 4096, 4096, 128, HeadReduction.NONE), 132, false);
        assertEquals("column_sum_f16_d128", off.columnKernel(org.colreduce.Reduction.SUM), "mma.sync off Hopper");
    }

    @Test void sharedMemoryAndKernelNames() {
        LaunchPlan p = LaunchPlan.of(problem(DType.BF16, 1, 8, 2, 100, 100, 200, HeadReduction.GROUP_SUM), 132);
        assertEquals(256, p.paddedDim());
        assertEquals((64 + LaunchPlan.STAGES * 32) * 256 * 2 + 1024, p.rowSmem());
        assertFalse(p.stream(), "16 query tiles per KV group do not stay resident");
        assertEquals("row_statistics_bf16_d256", p.rowKernel());
        assertEquals("column_sum_bf16_d256", p.columnKernel(org.colreduce.Reduction.MEAN));
        assertEquals(4, p.columnBlocksY() * 2 / 1 / 1);
        assertFalse(p.direct(), "a head reduction needs the head pass");
        LaunchPlan f = LaunchPlan.of(problem(DType.F32, 1, 1, 1, 10, 10, 33, HeadReduction.NONE), 132);
        assertEquals(33, f.paddedDim());
        assertEquals("column_max_f32_k", f.columnKernel(org.colreduce.Reduction.MAX));
    }

    @Test void bigProblemOffsetsNeed64Bits() {
        // B=64, H=32, N=16384, D=128: 4.3e9 elements of K; the grid stays within launch limits
        LaunchPlan p = LaunchPlan.of(problem(DType.F16, 64, 32, 32, 64, 16384, 128, HeadReduction.NONE), 132);
        assertTrue(p.stream());
        assertTrue(p.columnBlocksX() * p.columnKeysPerBlock() >= 16384);
        assertEquals(2048, p.columnBlocksY());
        assertTrue(64L * 32 * 16384 * 128 > Integer.MAX_VALUE);
    }
}
