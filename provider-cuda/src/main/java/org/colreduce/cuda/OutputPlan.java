package org.colreduce.cuda;

import org.colreduce.DType;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.ReduceProblem;

/**
 * The attention output pass of one {@code attend} call (attention_output.cuh): kernel, grid and
 * shared memory; pure arithmetic, tested on any machine. F16/BF16 pad D and Dv to one width E
 * (64, 128 or 256); with the row statistics unsplit, the pass computes them itself ({@code online})
 * and the row-statistics launch is skipped.
 *
 * @param valueLd the row length V is staged with: Dv padded for F16/BF16, Dv for F32
 */
record OutputPlan(String kernel, long blocksX, long blocksY, int threads, int smem, int valueLd, boolean online) {

    /** System property: "false" keeps the row statistics as a pass of their own (benchmarks compare). */
    static final String ONLINE = "colreduce.cuda.attendOnline";

    static OutputPlan of(AttendProblem a, LaunchPlan rows) {
        ReduceProblem p = a.scores();
        long bh = (long) p.batch() * p.queryHeads();
        if (p.dtype() == DType.F32)
            return new OutputPlan("attention_output_f32_k", LaunchPlan.ceilDiv(p.queries(), 8), bh, 256, 0, a.valueDim(), false);
        int ldv = LaunchPlan.paddedDim(a.valueDim());
        int e = Math.max(rows.paddedDim(), ldv);
        int keyTile = e <= 128 ? 64 : 32;
        String name = "attention_output_" + (p.dtype() == DType.F16 ? "f16" : "bf16") + "_e" + e;
        // OutputTiles<E>::smem(): Q tile, two stages of K and V, 1 KB for alignment
        int smem = (64 + 4 * keyTile) * e * 2 + 1024;
        return new OutputPlan(name, LaunchPlan.ceilDiv(p.queries(), 64), bh, 128, smem, ldv,
                rows.splits() == 1 && !"false".equals(System.getProperty(ONLINE)));
    }
}
