package org.colreduce.spi;

import java.util.Arrays;
import org.colreduce.DType;
import org.colreduce.Operand;

/**
 * A validated attention call: O = P·V into {@code output} ([B, Hq, M, Dv], the inputs' type or
 * F32), and the column reduction of the same P as in {@link #scores()}. V is [B, Hkv, N, Dv].
 * A row that sees no key gives O = 0.
 */
public record AttendProblem(ReduceProblem scores, Operand v, int valueDim, Operand output) {

    public static AttendProblem of(ReduceProblem scores, Operand v, Operand output) {
        ReduceProblem.requireNonNull("v", v);
        ReduceProblem.requireNonNull("output", output);
        long[] vs = ReduceProblem.rank4("v", v, "[B, Hkv, N, Dv]");
        if (v.dtype() != scores.dtype()) throw new IllegalArgumentException("v must have the dtype of q and k (" + scores.dtype() + "), got " + v.dtype());
        if (vs[0] != scores.batch() || vs[1] != scores.kvHeads() || vs[2] != scores.keys())
            throw new IllegalArgumentException("v must have shape [B=" + scores.batch() + ", Hkv=" + scores.kvHeads() + ", N=" + scores.keys() + ", Dv], got " + Arrays.toString(vs));
        if (vs[3] < 1 || vs[3] > ReduceProblem.MAX_HEAD_DIM)
            throw new IllegalArgumentException("value dimension Dv must be in 1.." + ReduceProblem.MAX_HEAD_DIM + ", got " + vs[3]);
        ReduceProblem.checkOpen("output", output);
        long[] expected = {scores.batch(), scores.queryHeads(), scores.queries(), vs[3]};
        if (!Arrays.equals(output.shape(), expected))
            throw new IllegalArgumentException("output must have shape " + Arrays.toString(expected) + ", got " + Arrays.toString(output.shape()));
        if (output.dtype() != DType.F32 && output.dtype() != scores.dtype())
            throw new IllegalArgumentException("output must be F32 or the inputs' dtype " + scores.dtype() + ", got " + output.dtype());
        ReduceProblem.checkNoOverlap("output", output, "q", scores.q());
        ReduceProblem.checkNoOverlap("output", output, "k", scores.k());
        ReduceProblem.checkNoOverlap("output", output, "v", v);
        ReduceProblem.checkNoOverlap("output", output, "scores", scores.out());
        ReduceProblem.checkNoOverlap("scores", scores.out(), "v", v);
        return new AttendProblem(scores, v, (int) vs[3], output);
    }
}
