package org.colreduce.cpu;

import static org.colreduce.cpu.TileShape.KEYS;
import static org.colreduce.cpu.TileShape.ROW_STEP;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels. Scores are register-tiled: {@link TileShape#ROW_STEP} = 8 query rows ×
 * two vectors of keys (16 accumulators), 8 broadcasts of q and two loads of Kᵀ per head-dimension
 * step for 16 fmas. Measured on this machine's AVX-512 core (thread CPU time, D = 64): 8×2 gives
 * 120 GFLOP/s, 4×4 110, 4×2 100. Loaded only through {@link Kernels#select}.
 */
final class VectorKernels implements Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    VectorKernels() {
        if (KEYS % (2 * L) != 0) throw new IllegalStateException("KEYS " + KEYS + " is not a multiple of two " + L + "-lane vectors");
    }

    @Override
    public void scores(float[] q, int qStart, int rows, float[] kT, int keys, int dim, float[] s) {
        int full = rows / ROW_STEP * ROW_STEP;
        for (int j = 0; j < keys; j += 2 * L) {
            // the last rows one by one: a decode step (M = 1) does not pay for 8
            for (int i = full; i < rows; i++) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0;
                for (int d = 0, kd = j, qd = qStart + i * dim; d < dim; d++, kd += KEYS, qd++) {
                    FloatVector b = FloatVector.broadcast(F, q[qd]);
                    a0 = b.fma(FloatVector.fromArray(F, kT, kd), a0);
                    a1 = b.fma(FloatVector.fromArray(F, kT, kd + L), a1);
                }
                a0.intoArray(s, i * KEYS + j);
                a1.intoArray(s, i * KEYS + j + L);
            }
            for (int i = 0; i < full; i += ROW_STEP) {
                FloatVector z = FloatVector.zero(F);
                FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z,
                        a40 = z, a41 = z, a50 = z, a51 = z, a60 = z, a61 = z, a70 = z, a71 = z;
                for (int d = 0, kd = j, qd = qStart + i * dim; d < dim; d++, kd += KEYS, qd++) {
                    FloatVector k0 = FloatVector.fromArray(F, kT, kd);
                    FloatVector k1 = FloatVector.fromArray(F, kT, kd + L);
                    FloatVector b = FloatVector.broadcast(F, q[qd]);
                    a00 = b.fma(k0, a00);
                    a01 = b.fma(k1, a01);
                    b = FloatVector.broadcast(F, q[qd + dim]);
                    a10 = b.fma(k0, a10);
                    a11 = b.fma(k1, a11);
                    b = FloatVector.broadcast(F, q[qd + 2 * dim]);
                    a20 = b.fma(k0, a20);
                    a21 = b.fma(k1, a21);
                    b = FloatVector.broadcast(F, q[qd + 3 * dim]);
                    a30 = b.fma(k0, a30);
                    a31 = b.fma(k1, a31);
                    b = FloatVector.broadcast(F, q[qd + 4 * dim]);
                    a40 = b.fma(k0, a40);
                    a41 = b.fma(k1, a41);
                    b = FloatVector.broadcast(F, q[qd + 5 * dim]);
                    a50 = b.fma(k0, a50);
                    a51 = b.fma(k1, a51);
                    b = FloatVector.broadcast(F, q[qd + 6 * dim]);
                    a60 = b.fma(k0, a60);
                    a61 = b.fma(k1, a61);
                    b = FloatVector.broadcast(F, q[qd + 7 * dim]);
                    a70 = b.fma(k0, a70);
                    a71 = b.fma(k1, a71);
                }
                int si = i * KEYS + j;
                a00.intoArray(s, si);
                a01.intoArray(s, si + L);
                a10.intoArray(s, si += KEYS);
                a11.intoArray(s, si + L);
                a20.intoArray(s, si += KEYS);
                a21.intoArray(s, si + L);
                a30.intoArray(s, si += KEYS);
                a31.intoArray(s, si + L);
                a40.intoArray(s, si += KEYS);
                a41.intoArray(s, si + L);
                a50.intoArray(s, si += KEYS);
                a51.intoArray(s, si + L);
                a60.intoArray(s, si += KEYS);
                a61.intoArray(s, si + L);
                a70.intoArray(s, si += KEYS);
                a71.intoArray(s, si + L);
            }
        }
    }

    @Override
    public float max(float[] a, int from, int to) {
        // compare-and-blend on two chains: cheaper than Java's max, which orders NaN and −0; a NaN
        // skipped here still makes the row's sum of exp NaN, which is all the callers need
        FloatVector m0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), m1 = m0;
        int j = from;
        for (; j <= to - 2 * L; j += 2 * L) {
            FloatVector v0 = FloatVector.fromArray(F, a, j), v1 = FloatVector.fromArray(F, a, j + L);
            m0 = m0.blend(v0, v0.compare(VectorOperators.GT, m0));
            m1 = m1.blend(v1, v1.compare(VectorOperators.GT, m1));
        }
        float r = m0.blend(m1, m1.compare(VectorOperators.GT, m0)).reduceLanes(VectorOperators.MAX); // exact in any order
        for (; j < to; j++) if (a[j] > r) r = a[j];
        return r;
    }

    @Override
    public double sumExp(float[] a, int from, int to, float shift, float[] lanes) {
        FloatVector sh = FloatVector.broadcast(F, shift), acc = FloatVector.zero(F);
        int j = from;
        for (; j <= to - L; j += L) acc = acc.add(exp(FloatVector.fromArray(F, a, j).sub(sh)));
        if (j < to) {
            VectorMask<Float> m = F.indexInRange(j, to);
            acc = acc.add(exp(FloatVector.fromArray(F, a, j, m).sub(sh)), m);
        }
        // lanes summed in lane order: reduceLanes(ADD) may reorder, and differently when compiled
        acc.intoArray(lanes, 0);
        double sum = 0;
        for (int l = 0; l < L; l++) sum += lanes[l];
        return sum;
    }

    @Override
    public void addExp(float[] s, int row, int from, int to, float max, float logSum, float[] acc) {
        FloatVector mx = FloatVector.broadcast(F, max), lg = FloatVector.broadcast(F, logSum);
        int j = from;
        for (; j <= to - L; j += L)
            FloatVector.fromArray(F, acc, j).add(exp(FloatVector.fromArray(F, s, row + j).sub(mx).sub(lg))).intoArray(acc, j);
        if (j < to) {
            VectorMask<Float> m = F.indexInRange(j, to);
            FloatVector.fromArray(F, acc, j, m).add(exp(FloatVector.fromArray(F, s, row + j, m).sub(mx).sub(lg))).intoArray(acc, j, m);
        }
    }

    @Override
    public void maxShifted(float[] s, int row, int from, int to, float max, float logSum, float[] acc) {
        FloatVector mx = FloatVector.broadcast(F, max), lg = FloatVector.broadcast(F, logSum);
        int j = from;
        for (; j <= to - L; j += L)
            FloatVector.fromArray(F, acc, j).max(FloatVector.fromArray(F, s, row + j).sub(mx).sub(lg)).intoArray(acc, j);
        if (j < to) {
            VectorMask<Float> m = F.indexInRange(j, to);
            FloatVector.fromArray(F, acc, j, m).max(FloatVector.fromArray(F, s, row + j, m).sub(mx).sub(lg)).intoArray(acc, j, m);
        }
    }

    /** {@link FastExp#exp} lane by lane: the same operations in the same order. */
    static FloatVector exp(FloatVector x) {
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
        // outside [LOW, HIGH] 2^n is not a normal float: 0 below, ∞ above; NaN compares false and stays NaN
        return y.mul(twoN).blend(0f, x.lt(FastExp.LOW)).blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, FastExp.HIGH));
    }

    private static FloatVector c(float v) { return FloatVector.broadcast(F, v); }

    @Override
    public String describe() { return "Vector API, " + F.vectorBitSize() + "-bit species"; }
}
