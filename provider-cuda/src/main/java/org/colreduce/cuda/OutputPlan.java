package org.colreduce.cuda;

import org.colreduce.DType;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.ReduceProblem;

/**
 * The attention output pass of one {@code attend} call: kernel, grid and shared memory; pure
 * arithmetic, tested on any machine. F16/BF16 pad D and Dv to one width E (64, 128 or 256); the
 * pass computes the row statistics itself ({@code online}) and the row-statistics launch is
 * skipped, unless {@code -Dcolreduce.cuda.attendOnline=false}. On sm_90 with E ≤ 128 the pass runs on wgmma
 * (attention_output_wg.cuh: 8 warps, 128 query rows a block, {@code _wg8}); elsewhere, and on
 * sm_90 under {@code -Dcolreduce.cuda.attendKernel=mma}, on mma.sync (attention_output.cuh: 4
 * warps, 64 rows).
 *
 * @param valueLd the row length V is staged with: Dv padded for F16/BF16, Dv for F32
 * @param wgmma the sm_90a kernel
 */
record OutputPlan(String kernel, long blocksX, long blocksY, int threads, int smem, int valueLd, boolean online, boolean wgmma) {

    /** System property: "false" keeps the row statistics as a pass of their own (benchmarks compare). */
    static final String ONLINE = "colreduce.cuda.attendOnline";
    /** System property: "mma" keeps sm_90 on the mma.sync kernel (tests and benchmarks compare). */
    static final String KERNEL = "colreduce.cuda.attendKernel";

    static OutputPlan of(AttendProblem a, LaunchPlan rows) { return of(a, rows, false); }

    /** {@code hopper}: the device is sm_90, where the fatbin has the wgmma kernels. */
    static OutputPlan of(AttendProblem a, LaunchPlan rows, boolean hopper) {
        ReduceProblem p = a.scores();
        long bh = (long) p.batch() * p.queryHeads();
        if (p.dtype() == DType.F32)
            return new OutputPlan("attention_output_f32_k", LaunchPlan.ceilDiv(p.queries(), 8), bh, 256, 0, a.valueDim(), false, false);
        int ldv = LaunchPlan.paddedDim(a.valueDim());
        int e = Math.max(rows.paddedDim(), ldv);
        // online whatever the row statistics' split: the output pass reads every key of its rows
        // either way, so a row-statistics pass first only adds its own time
        boolean online = !"false".equals(System.getProperty(ONLINE));
        String name = "attention_output_" + (p.dtype() == DType.F16 ? "f16" : "bf16") + "_e" + e;
        if (hopper && e <= 128 && !"mma".equals(System.getProperty(KERNEL)))
            // PipelinedOutputTiles<E>::smem(): Q tile of 128 rows, 4 stages of K and V tiles of 64 keys, 1 KB for alignment
            return new OutputPlan(name + "_wg8", LaunchPlan.ceilDiv(p.queries(), 128), bh, 256, (128 + 4 * 2 * 64) * e * 2 + 1024, ldv, online, true);
        // OutputTiles<E>::smem(): Q tile, two stages of K and V, 1 KB for alignment
        int keyTile = e <= 128 ? 64 : 32;
        return new OutputPlan(name, LaunchPlan.ceilDiv(p.queries(), 64), bh, 128, (64 + 4 * keyTile) * e * 2 + 1024, ldv, online, false);
    }
}
