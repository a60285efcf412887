package org.colreduce.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * P·V on the Vector API, register-tiled: four output rows × two vectors of V's columns, so each
 * key costs two loads of V and four broadcasts of p for eight fmas (then one vector, then plain
 * fmas for the last Dv mod L columns); fewer than four last rows (a decode step's one) go one at
 * a time. Keys all four rows see go through a branch-free step; keys at the edges of the rows'
 * ranges (a causal diagonal, a window's edges) are added row by row. Same bits as
 * {@link ValueKernels.Scalar}: the same fmas in the same order. Loaded only through
 * {@link ValueKernels#matching}.
 */
final class VectorValueKernels implements ValueKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final int ROW_STEP = 4;

    @Override
    public void weightedRows(float[][] p, int rows, int[] from, int[] to, float[] v, int dv, float[] out) {
        for (int i0 = 0; i0 < rows; i0 += ROW_STEP) {
            int n = Math.min(ROW_STEP, rows - i0);
            if (n < ROW_STEP) { // the last rows (a decode step's only one) go one at a time: no wasted fmas
                for (int i = i0; i < rows; i++) oneRow(p[i], from[i], to[i], v, dv, out, i * dv);
                break;
            }
            // lo..hi: keys some row sees; common..commonEnd: keys every row of the step sees
            int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE, common = Integer.MIN_VALUE, commonEnd = Integer.MAX_VALUE;
            for (int r = 0; r < ROW_STEP; r++) {
                int i = i0 + r;
                if (r < n && from[i] < to[i]) {
                    lo = Math.min(lo, from[i]);
                    hi = Math.max(hi, to[i]);
                    common = Math.max(common, from[i]);
                    commonEnd = Math.min(commonEnd, to[i]);
                } else {
                    common = Integer.MAX_VALUE; // a row that sees nothing: no key is common
                    commonEnd = Integer.MIN_VALUE;
                }
            }
            // rows past n alias row i0; their sums are computed but never stored
            float[] p0 = p[i0], p1 = p[i0 + Math.min(1, n - 1)], p2 = p[i0 + Math.min(2, n - 1)], p3 = p[i0 + Math.min(3, n - 1)];
            int c = 0;
            for (; c <= dv - 2 * L; c += 2 * L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                for (int j = lo; j < hi; j++) {
                    FloatVector x = FloatVector.fromArray(F, v, j * dv + c), y = FloatVector.fromArray(F, v, j * dv + c + L);
                    if (j >= common && j < commonEnd) {
                        FloatVector w = FloatVector.broadcast(F, p0[j]);
                        a0 = w.fma(x, a0);
                        b0 = w.fma(y, b0);
                        w = FloatVector.broadcast(F, p1[j]);
                        a1 = w.fma(x, a1);
                        b1 = w.fma(y, b1);
                        w = FloatVector.broadcast(F, p2[j]);
                        a2 = w.fma(x, a2);
                        b2 = w.fma(y, b2);
                        w = FloatVector.broadcast(F, p3[j]);
                        a3 = w.fma(x, a3);
                        b3 = w.fma(y, b3);
                    } else {
                        if (sees(from, to, i0, n, 0, j)) { FloatVector w = FloatVector.broadcast(F, p0[j]); a0 = w.fma(x, a0); b0 = w.fma(y, b0); }
                        if (sees(from, to, i0, n, 1, j)) { FloatVector w = FloatVector.broadcast(F, p1[j]); a1 = w.fma(x, a1); b1 = w.fma(y, b1); }
                        if (sees(from, to, i0, n, 2, j)) { FloatVector w = FloatVector.broadcast(F, p2[j]); a2 = w.fma(x, a2); b2 = w.fma(y, b2); }
                        if (sees(from, to, i0, n, 3, j)) { FloatVector w = FloatVector.broadcast(F, p3[j]); a3 = w.fma(x, a3); b3 = w.fma(y, b3); }
                    }
                }
                store(out, i0, n, dv, c, a0, a1, a2, a3);
                store(out, i0, n, dv, c + L, b0, b1, b2, b3);
            }
            for (; c <= dv - L; c += L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int j = lo; j < hi; j++) {
                    FloatVector x = FloatVector.fromArray(F, v, j * dv + c);
                    if (j >= common && j < commonEnd) {
                        a0 = FloatVector.broadcast(F, p0[j]).fma(x, a0);
                        a1 = FloatVector.broadcast(F, p1[j]).fma(x, a1);
                        a2 = FloatVector.broadcast(F, p2[j]).fma(x, a2);
                        a3 = FloatVector.broadcast(F, p3[j]).fma(x, a3);
                    } else {
                        if (sees(from, to, i0, n, 0, j)) a0 = FloatVector.broadcast(F, p0[j]).fma(x, a0);
                        if (sees(from, to, i0, n, 1, j)) a1 = FloatVector.broadcast(F, p1[j]).fma(x, a1);
                        if (sees(from, to, i0, n, 2, j)) a2 = FloatVector.broadcast(F, p2[j]).fma(x, a2);
                        if (sees(from, to, i0, n, 3, j)) a3 = FloatVector.broadcast(F, p3[j]).fma(x, a3);
                    }
                }
                store(out, i0, n, dv, c, a0, a1, a2, a3);
            }
            // the last dv mod L columns, by the scalar loop's fmas
            for (int r = 0; r < n; r++) {
                int i = i0 + r, at = i * dv;
                for (int cc = c; cc < dv; cc++) out[at + cc] = 0f;
                float[] pi = p[i];
                for (int j = from[i]; j < to[i]; j++)
                    for (int cc = c, vj = j * dv; cc < dv; cc++) out[at + cc] = Math.fma(pi[j], v[vj + cc], out[at + cc]);
            }
        }
    }

    /** out[at + c] = Σ_{j in [from, to)} p[j] · v[j·dv + c], one vector of columns at a time. */
    private static void oneRow(float[] p, int from, int to, float[] v, int dv, float[] out, int at) {
        int c = 0;
        for (; c <= dv - L; c += L) {
            FloatVector a = FloatVector.zero(F);
            for (int j = from; j < to; j++) a = FloatVector.broadcast(F, p[j]).fma(FloatVector.fromArray(F, v, j * dv + c), a);
            a.intoArray(out, at + c);
        }
        for (int cc = c; cc < dv; cc++) out[at + cc] = 0f;
        for (int j = from; j < to; j++)
            for (int cc = c, vj = j * dv; cc < dv; cc++) out[at + cc] = Math.fma(p[j], v[vj + cc], out[at + cc]);
    }

    private static void store(float[] out, int i0, int n, int dv, int c, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        a0.intoArray(out, i0 * dv + c);
        if (n > 1) a1.intoArray(out, (i0 + 1) * dv + c);
        if (n > 2) a2.intoArray(out, (i0 + 2) * dv + c);
        if (n > 3) a3.intoArray(out, (i0 + 3) * dv + c);
    }

    private static boolean sees(int[] from, int[] to, int i0, int n, int r, int j) {
        return r < n && j >= from[i0 + r] && j < to[i0 + r];
    }
}
