package org.colreduce.cli;

import java.lang.foreign.Arena;
import org.colreduce.DType;
import org.colreduce.Tensor;

/** The commands' small tensor chores: shapes as a NumPy user writes them, and new off-heap tensors. */
final class Tensors {
    private Tensors() {}

    /** (1, 8, 1024, 64); a 1-tuple as (3,). */
    static String text(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    static long count(long[] shape) {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    /** A zeroed contiguous tensor in {@code arena}: native memory, so no 2^31-element limit, readable from any thread of a shared arena. */
    static Tensor allocate(Arena arena, DType dtype, long... shape) {
        return Tensor.of(arena.allocate(Math.multiplyExact(count(shape), (long) dtype.byteSize()), 64), dtype, shape);
    }
}
