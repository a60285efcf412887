package org.colreduce.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.Tensor;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.ReduceProblem;
import org.junit.jupiter.api.Test;

/** The attention output pass's kernel choice and grid, checked without a GPU. */
class OutputPlanTest {
    private static Tensor view(DType t, long... shape) {
        return Tensor.of(MemorySegment.ofArray(new byte[8]), t, 0, shape, new long[shape.length]);
    }

    private static AttendProblem problem(DType t, int b, int h, int m, int n, int d, int dv) {
        return problem(t, b, h, m, n, d, dv, ColumnReduction.sum());
    }

    private static AttendProblem problem(DType t, int b, int h, int m, int n, int d, int dv, ColumnReduction r) {
        ReduceProblem p = ReduceProblem.of(view(t, b, h, m, d), view(t, b, h, n, d), r,
                Tensor.of(MemorySegment.ofArray(new float[2]), DType.F32, 0, new long[]{b, h, n}, new long[3]), null, null);
        return AttendProblem.of(p, view(t, b, h, n, dv), Tensor.of(MemorySegment.ofArray(new float[2]), DType.F32, 0, new long[]{b, h, m, dv}, new long[4]));
    }

    private static OutputPlan plan(AttendProblem a) { return OutputPlan.of(a, LaunchPlan.of(a.scores(), 132), false, 132); }

    @Test void oneWidthForDAndDv() {
        assertEquals("attention_output_f16_e128", plan(problem(DType.F16, 1, 32, 4096, 4096, 128, 128)).kernel());
        assertEquals("attention_output_bf16_e256", plan(problem(DType.BF16, 1, 2, 40, 40, 16, 200)).kernel());
        assertEquals("attention_output_f16_e128", plan(problem(DType.F16, 1, 2, 40, 40, 100, 8)).kernel());
        OutputPlan small = plan(problem(DType.F16, 1, 2, 5, 9, 3, 7));
        assertEquals("attention_output_f16_e64", small.kernel());
        assertEquals(64, small.valueLd());
    }

    @Test void warpSpecializedOnHopperUpToE128() {
        AttendProblem a = problem(DType.F16, 1, 32, 4096, 5000, 128, 128);
        OutputPlan ws = OutputPlan.of(a, LaunchPlan.of(a.scores(), 132, true), true, 132);
        assertEquals("attention_output_f16_e128_wsp", ws.kernel(), "1024 equal query tiles: persistent");
        assertTrue(ws.wgmma() && ws.specialized());
        assertEquals(32, ws.blocksX(), "128 query rows a tile");
        assertEquals(132, ws.gridX(), "one block a multiprocessor");
        assertEquals(1, ws.gridY());
        assertEquals(384, ws.threads(), "a producer and two consumer warpgroups");
        assertEquals((128 + 4 * 128) * 128 * 2 + 10 * 8 + 8 + 1024, ws.smem(), "2 stages of K, 2 of V, 10 mbarriers, the item");
        assertTrue(ws.smem() <= 227 * 1024, "fits sm_90 shared memory");
        OutputPlan fallback = ws.withoutTma();
        assertEquals("attention_output_f16_e128_wg8", fallback.kernel());
        assertEquals(OutputPlan.of(a, LaunchPlan.of(a.scores(), 132, true), true, 132).blocksX(), fallback.blocksX());
        assertEquals((128 + 8 * 64) * 128 * 2 + 1024, fallback.smem());
        AttendProblem narrow = problem(DType.BF16, 3, 4, 100, 70, 64, 40);
        OutputPlan perTile = OutputPlan.of(narrow, LaunchPlan.of(narrow.scores(), 132, true), true, 132);
        assertEquals("attention_output_bf16_e64_ws", perTile.kernel());
        assertEquals(1, perTile.gridX(), "one block a query tile");
        assertEquals(12, perTile.gridY());
        assertEquals("attention_output_bf16_e64_wg8", OutputPlan.of(narrow, LaunchPlan.of(narrow.scores(), 132, true), true, 132).withoutTma().kernel());
        assertEquals((128 + 8 * 64) * 64 * 2 + 1024, OutputPlan.of(narrow, LaunchPlan.of(narrow.scores(), 132, true), true, 132).withoutTma().smem());
    }

    @Test void persistentForF16WithMoreTilesThanMultiprocessors() {
        AttendProblem full = problem(DType.F16, 2, 32, 4096, 4096, 128, 128);
        assertEquals("attention_output_f16_e128_wsp", hopper(full).kernel());
        AttendProblem causal = problem(DType.F16, 2, 32, 4096, 4096, 128, 128,
                ColumnReduction.builder().mask(org.colreduce.Mask.causal()).build());
        assertEquals("attention_output_f16_e128_wsp", hopper(causal).kernel(), "tiles taken from a counter: uneven work evens out");
        assertEquals("attention_output_bf16_e128_ws", hopper(problem(DType.BF16, 2, 32, 4096, 4096, 128, 128)).kernel(), "BF16 spills it");
        assertEquals("attention_output_f16_e128_ws", hopper(problem(DType.F16, 1, 32, 512, 4096, 128, 128)).kernel(), "128 tiles: one wave");
        System.setProperty(OutputPlan.PERSISTENT, "false");
        try {
            assertEquals("attention_output_f16_e128_ws", hopper(full).kernel());
        } finally {
            System.clearProperty(OutputPlan.PERSISTENT);
        }
        System.setProperty(OutputPlan.PERSISTENT, "3");
        try {
            OutputPlan three = hopper(problem(DType.F16, 1, 2, 300, 70, 64, 64));
            assertEquals("attention_output_f16_e64_wsp", three.kernel(), "6 tiles on 3 blocks");
            assertEquals(3, three.gridX());
            assertEquals("attention_output_f16_e64_wg8", three.withoutTma().kernel());
            assertEquals(3, three.withoutTma().blocksX());
            assertEquals(2, three.withoutTma().blocksY());
        } finally {
            System.clearProperty(OutputPlan.PERSISTENT);
        }
    }

    @Test void decodingOnMmaSyncWithKeySlices() {
        OutputPlan one = hopper(problem(DType.F16, 1, 32, 1, 16384, 128, 128));
        assertEquals("attention_output_f16_e128", one.kernel(), "64-row tiles for few query rows, also on sm_90");
        assertEquals(9, one.splits(), "32 blocks: 9 slices fill 2 blocks a multiprocessor");
        assertEquals(1920, one.keysPerSplit(), "whole 128-key tiles");
        assertEquals(9, one.gridZ());
        assertTrue((long) one.splits() * one.keysPerSplit() >= 16384 && (long) (one.splits() - 1) * one.keysPerSplit() < 16384, "every key in one slice");
        assertEquals("attention_output_combine_f16_k", one.combineKernel());
        assertEquals("attention_output_combine_bf16_k", hopper(problem(DType.BF16, 1, 32, 1, 16384, 128, 128)).combineKernel());
        assertEquals(1, hopper(problem(DType.F16, 64, 32, 64, 16384, 128, 128)).splits(), "2048 blocks fill the GPU");
        assertEquals(1, hopper(problem(DType.F16, 1, 2, 5, 100, 64, 64)).splits(), "one key tile");
        assertEquals(3, hopper(problem(DType.F16, 1, 2, 5, 300, 64, 64)).splits(), "300 keys: slices of 128");
        System.setProperty(OutputPlan.ONLINE, "false");
        try {
            assertEquals(1, hopper(problem(DType.F16, 1, 32, 1, 16384, 128, 128)).splits(), "given row statistics: no slices");
        } finally {
            System.clearProperty(OutputPlan.ONLINE);
        }
    }

    @Test void decodingWithManyHeadsOnKeySplitBlocks() {
        OutputPlan many = hopper(problem(DType.F16, 64, 32, 64, 16384, 128, 128));
        assertEquals("attention_output_f16_e128_wskp", many.kernel(), "2048 (batch, head) pairs: 64-row TMA blocks, persistent");
        assertEquals(64, many.queryTile());
        assertEquals(132, many.gridX());
        assertEquals(1, many.splits());
        assertEquals((64 + 5 * 128) * 128 * 2 + (64 + 4) * 128 * 4 + 12 * 8 + 8 + 1024, many.smem(), "Q, 2 + 3 stages, the merge area");
        assertTrue(many.smem() <= 227 * 1024);
        OutputPlan bf = hopper(problem(DType.BF16, 16, 32, 64, 16384, 128, 128));
        assertEquals("attention_output_bf16_e128_wsk", bf.kernel(), "BF16: one block a query tile");
        assertEquals(1, bf.gridX());
        assertEquals(512, bf.gridY());
        assertEquals("attention_output_bf16_e128_wg8", bf.withoutTma().kernel());
        assertEquals(1, bf.withoutTma().blocksX());
        assertEquals("attention_output_f16_e128_ws", hopper(problem(DType.F16, 64, 32, 65, 16384, 128, 128)).kernel().replace("_wsp", "_ws"),
                "more than 64 rows: 128-row blocks");
        System.setProperty(OutputPlan.DECODE, "wsk");
        try {
            OutputPlan forced = hopper(problem(DType.F16, 1, 2, 5, 300, 64, 64));
            assertEquals("attention_output_f16_e64_wsk", forced.kernel(), "2 tiles: one block each");
            assertEquals(1, forced.splits());
        } finally {
            System.clearProperty(OutputPlan.DECODE);
        }
        System.setProperty(OutputPlan.DECODE, "mma");
        try {
            assertEquals("attention_output_f16_e128", hopper(problem(DType.F16, 64, 32, 64, 16384, 128, 128)).kernel());
        } finally {
            System.clearProperty(OutputPlan.DECODE);
        }
    }

    private static OutputPlan hopper(AttendProblem a) { return OutputPlan.of(a, LaunchPlan.of(a.scores(), 132, true), true, 132); }

    @Test void wgmmaOnHopperUpToE128() {
        AttendProblem a = problem(DType.F16, 1, 32, 4096, 5000, 128, 128);
        System.setProperty(OutputPlan.KERNEL, "wg");
        OutputPlan wg;
        try {
            wg = OutputPlan.of(a, LaunchPlan.of(a.scores(), 132, true), true, 132);
        } finally {
            System.clearProperty(OutputPlan.KERNEL);
        }
        assertEquals("attention_output_f16_e128_wg8", wg.kernel());
        assertFalse(wg.specialized());
        assertTrue(wg.wgmma());
        assertEquals(32, wg.blocksX(), "128 query rows a block");
        assertEquals(256, wg.threads());
        assertEquals((128 + 8 * 64) * 128 * 2 + 1024, wg.smem());
        assertTrue(wg.smem() <= 227 * 1024, "fits sm_90 shared memory");
        AttendProblem wide = problem(DType.BF16, 1, 2, 40, 40, 256, 64);
        assertEquals("attention_output_bf16_e256", OutputPlan.of(wide, LaunchPlan.of(wide.scores(), 132, true), true, 132).kernel());
        assertFalse(plan(a).wgmma(), "not off sm_90");
        System.setProperty(OutputPlan.KERNEL, "mma");
        try {
            assertEquals("attention_output_f16_e128", OutputPlan.of(a, LaunchPlan.of(a.scores(), 132, true), true, 132).kernel(), "mma.sync on request");
        } finally {
            System.clearProperty(OutputPlan.KERNEL);
        }
    }

    @Test void gridAndSharedMemory() {
        OutputPlan p = plan(problem(DType.F16, 2, 32, 4096, 4096, 128, 128));
        assertEquals(64, p.blocksX());
        assertEquals(64, p.blocksY());
        assertEquals(128, p.threads());
        assertEquals((64 + 4 * 64) * 128 * 2 + 1024, p.smem());
        assertTrue(plan(problem(DType.F16, 1, 2, 40, 40, 256, 256)).smem() <= 99 * 1024, "fits sm_86/89 shared memory");
    }

    @Test void onlineUnlessAskedOtherwise() {
        assertTrue(plan(problem(DType.F16, 4, 32, 4096, 4096, 128, 128)).online(), "prefill: the pass makes lse itself");
        AttendProblem decode = problem(DType.F16, 1, 32, 1, 16384, 128, 128);
        assertTrue(LaunchPlan.of(decode.scores(), 132).splits() > 1, "decode splits the row statistics ...");
        assertTrue(plan(decode).online(), "... which the output pass does not need");
        System.setProperty(OutputPlan.ONLINE, "false");
        try {
            assertFalse(plan(decode).online());
        } finally {
            System.clearProperty(OutputPlan.ONLINE);
        }
    }

    @Test void f32OnFmaUnits() {
        OutputPlan p = plan(problem(DType.F32, 1, 2, 20, 20, 8, 5));
        assertEquals("attention_output_f32_k", p.kernel());
        assertEquals(5, p.valueLd());
        assertFalse(p.online());
        assertEquals(3, p.blocksX());
    }
}
