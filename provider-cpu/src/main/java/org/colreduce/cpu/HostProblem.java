package org.colreduce.cpu;

import org.colreduce.Operand;
import org.colreduce.Tensor;
import org.colreduce.spi.ReduceProblem;

/**
 * A validated problem with every operand seen as a host {@link Tensor} (a resident tensor of
 * this backend is a private contiguous host copy), plus readers of Q and K tiles.
 */
record HostProblem(ReduceProblem p, Tensor q, Tensor k, Tensor out, Tensor previous, TileReader qTiles, TileReader kTiles) {

    static HostProblem of(ReduceProblem p) {
        Tensor q = host(p.q()), k = host(p.k());
        return new HostProblem(p, q, k, host(p.out()), p.previous() == null ? null : host(p.previous()), new TileReader(q), new TileReader(k));
    }

    static Tensor host(Operand o) {
        if (o instanceof Tensor t) return t;
        if (o instanceof CpuResidentTensor r) return r.view();
        throw new IllegalArgumentException("operand " + o + " is neither a host Tensor nor a cpu resident tensor");
    }

    private static final Thread ANOTHER_THREAD = new Thread(() -> {});

    /**
     * Whether worker threads may read and write the operands: false when one lives in a confined
     * arena (then the call runs on the caller's thread alone).
     */
    boolean shareable() {
        for (Tensor t : new Tensor[]{q, k, out, previous})
            if (t != null && !t.segment().isAccessibleBy(ANOTHER_THREAD)) return false;
        return true;
    }

    /** Index of (b, h, row) in a [B, H, M] array of per-row values. */
    int rowIndex(int b, int h, int row) { return (b * p.queryHeads() + h) * p.queries() + row; }
}
