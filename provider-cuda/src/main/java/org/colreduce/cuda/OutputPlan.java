package org.colreduce.cuda;

import org.colreduce.DType;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.ReduceProblem;

/**
 * The attention output pass of one {@code attend} call (attention_output.cuh): kernel, grid and
 * shared memory; pure arithmetic, tested on any machine. F16/BF16 pad D and Dv to one width E
 * (64, 128 or 256); with the row statistics unsplit, the pass computes them itself ({@code online})
 * and the row-statistics launch is skipped. Every architecture runs the mma.sync kernels; on sm_90
 * with E ≤ 128, {@code -Dcolreduce.cuda.attendKernel=wgmma} picks the wgmma kernels ({@code wgmma},
 * reading V^T that {@code transpose_values_k} lays out first). They are EXPERIMENTAL: on the H200
 * run of 2026-11-22 they failed SPEC 11.1 with more than one key tile (and 7.3, since fixed), see
 * CudaAttendWgmmaConformanceTest.
 *
 * @param valueLd the row length V is staged with: Dv padded for F16/BF16, Dv for F32
 * @param transposedKeys the row length of V^T (N rounded up to 64) when {@code wgmma}
 */
record OutputPlan(String kernel, long blocksX, long blocksY, int threads, int smem, int valueLd, boolean online,
                  boolean wgmma, int transposedKeys) {

    /** System property: "false" keeps the row statistics as a pass of their own (benchmarks compare). */
    static final String ONLINE = "colreduce.cuda.attendOnline";
    /** System property: "wgmma" picks the experimental wgmma kernels on sm_90 (default "mma", as on sm_80/86/89). */
    static final String KERNEL = "colreduce.cuda.attendKernel";

    static OutputPlan of(AttendProblem a, LaunchPlan rows) { return of(a, rows, false); }

    /** {@code hopper}: the device is sm_90, where the fatbin has the wgmma kernels. */
    static OutputPlan of(AttendProblem a, LaunchPlan rows, boolean hopper) {
        ReduceProblem p = a.scores();
        long bh = (long) p.batch() * p.queryHeads();
        if (p.dtype() == DType.F32)
            return new OutputPlan("attention_output_f32_k", LaunchPlan.ceilDiv(p.queries(), 8), bh, 256, 0, a.valueDim(), false, false, 0);
        int ldv = LaunchPlan.paddedDim(a.valueDim());
        int e = Math.max(rows.paddedDim(), ldv);
        int keyTile = e <= 128 ? 64 : 32;
        boolean wgmma = hopper && e <= 128 && "wgmma".equals(System.getProperty(KERNEL));
        String name = "attention_output_" + (p.dtype() == DType.F16 ? "f16" : "bf16") + "_e" + e + (wgmma ? "_wg" : "");
        // OutputTiles<E>::smem(): Q tile, two stages of K and V, 1 KB for alignment
        int smem = (64 + 4 * keyTile) * e * 2 + 1024;
        boolean online = rows.splits() == 1 && !"false".equals(System.getProperty(ONLINE));
        return new OutputPlan(name, LaunchPlan.ceilDiv(p.queries(), 64), bh, 128, smem, ldv, online,
                wgmma, wgmma ? (int) (LaunchPlan.ceilDiv(p.keys(), 64) * 64) : 0);
    }

    /** Grid of transpose_values_k (32 x 32 tiles, 256 threads): keys, value columns, batch x KV heads. */
    long[] transposeGrid(ReduceProblem p) {
        return new long[]{transposedKeys / 32, LaunchPlan.ceilDiv(valueLd, 32), (long) p.batch() * p.kvHeads()};
    }
}
