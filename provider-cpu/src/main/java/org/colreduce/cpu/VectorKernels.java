package org.colreduce.cpu;

import static org.colreduce.cpu.TileShape.KEYS;
import static org.colreduce.cpu.TileShape.ROW_STEP;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels. Scores are register-tiled: {@link TileShape#ROW_STEP} query rows × two
 * vectors of keys, one broadcast of q and two loads of Kᵀ per head-dimension step, so a tile of
 * 4 × 2L scores costs 8 fmas per 3 loads. Loaded only through {@link Kernels#select}.
 */
final class VectorKernels implements Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    VectorKernels() {
        if (KEYS % (2 * L) != 0) throw new IllegalStateException("KEYS " + KEYS + " is not a multiple of two " + L + "-lane vectors");
    }

    @Override
    public void scores(float[] q, int rows, float[] kT, int keys, int dim, float[] s) {
        for (int j = 0; j < keys; j += 2 * L) {
            for (int i = 0; i < rows; i += ROW_STEP) {
                int q0 = i * dim, q1 = q0 + dim, q2 = q1 + dim, q3 = q2 + dim;
                FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00,
                        a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (int d = 0, kd = j; d < dim; d++, kd += KEYS) {
                    FloatVector k0 = FloatVector.fromArray(F, kT, kd);
                    FloatVector k1 = FloatVector.fromArray(F, kT, kd + L);
                    FloatVector b = FloatVector.broadcast(F, q[q0 + d]);
                    a00 = b.fma(k0, a00);
                    a01 = b.fma(k1, a01);
                    b = FloatVector.broadcast(F, q[q1 + d]);
                    a10 = b.fma(k0, a10);
                    a11 = b.fma(k1, a11);
                    b = FloatVector.broadcast(F, q[q2 + d]);
                    a20 = b.fma(k0, a20);
                    a21 = b.fma(k1, a21);
                    b = FloatVector.broadcast(F, q[q3 + d]);
                    a30 = b.fma(k0, a30);
                    a31 = b.fma(k1, a31);
                }
                int si = i * KEYS + j;
                a00.intoArray(s, si);
                a01.intoArray(s, si + L);
                a10.intoArray(s, si + KEYS);
                a11.intoArray(s, si + KEYS + L);
                a20.intoArray(s, si + 2 * KEYS);
                a21.intoArray(s, si + 2 * KEYS + L);
                a30.intoArray(s, si + 3 * KEYS);
                a31.intoArray(s, si + 3 * KEYS + L);
            }
        }
    }

    @Override
    public float max(float[] a, int from, int to) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int j = from;
        for (; j <= to - L; j += L) m = m.max(FloatVector.fromArray(F, a, j));
        float r = m.reduceLanes(VectorOperators.MAX); // max is exact: any order gives the same bits
        for (; j < to; j++) r = Math.max(r, a[j]);
        return r;
    }

    @Override
    public double sumExp(float[] a, int from, int to, float shift) {
        FloatVector sh = FloatVector.broadcast(F, shift), acc = FloatVector.zero(F);
        int j = from;
        for (; j <= to - L; j += L) acc = acc.add(exp(FloatVector.fromArray(F, a, j).sub(sh)));
        if (j < to) {
            VectorMask<Float> m = F.indexInRange(j, to);
            acc = acc.add(exp(FloatVector.fromArray(F, a, j, m).sub(sh)), m);
        }
        // lanes summed in lane order: reduceLanes(ADD) may reorder, and differently when compiled
        double sum = 0;
        for (int l = 0; l < L; l++) sum += acc.lane(l);
        return sum;
    }

    @Override
    public void addExp(float[] s, int row, int from, int to, float shift, float[] acc) {
        FloatVector sh = FloatVector.broadcast(F, shift);
        int j = from;
        for (; j <= to - L; j += L)
            FloatVector.fromArray(F, acc, j).add(exp(FloatVector.fromArray(F, s, row + j).sub(sh))).intoArray(acc, j);
        if (j < to) {
            VectorMask<Float> m = F.indexInRange(j, to);
            FloatVector.fromArray(F, acc, j, m).add(exp(FloatVector.fromArray(F, s, row + j, m).sub(sh))).intoArray(acc, j, m);
        }
    }

    @Override
    public void maxShifted(float[] s, int row, int from, int to, float shift, float[] acc) {
        FloatVector sh = FloatVector.broadcast(F, shift);
        int j = from;
        for (; j <= to - L; j += L)
            FloatVector.fromArray(F, acc, j).max(FloatVector.fromArray(F, s, row + j).sub(sh)).intoArray(acc, j);
        if (j < to) {
            VectorMask<Float> m = F.indexInRange(j, to);
            FloatVector.fromArray(F, acc, j, m).max(FloatVector.fromArray(F, s, row + j, m).sub(sh)).intoArray(acc, j, m);
        }
    }

    /** {@link FastExp#exp} lane by lane: the same operations in the same order. */
    static FloatVector exp(FloatVector x) {
        x = x.max(FastExp.LOW).min(FastExp.HIGH);
        FloatVector t = x.fma(FastExp.LOG2E, FastExp.ROUNDER);
        FloatVector n = t.sub(FastExp.ROUNDER);
        FloatVector r = n.fma(c(-FastExp.LN2_HI), x);
        r = n.fma(c(-FastExp.LN2_LO), r);
        FloatVector p = c(FastExp.P0).fma(r, c(FastExp.P1));
        p = p.fma(r, c(FastExp.P2));
        p = p.fma(r, c(FastExp.P3));
        p = p.fma(r, c(FastExp.P4));
        p = p.fma(r, c(FastExp.P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector bits = (IntVector) t.reinterpretAsInts();
        FloatVector twoN = bits.sub(FastExp.ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(twoN);
    }

    private static FloatVector c(float v) { return FloatVector.broadcast(F, v); }

    @Override
    public String describe() { return "Vector API, " + F.vectorBitSize() + "-bit species"; }
}
