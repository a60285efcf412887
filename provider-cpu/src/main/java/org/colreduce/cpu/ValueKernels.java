package org.colreduce.cpu;

/**
 * The P·V inner loop of {@link AttentionPass}: a row tile's probabilities times a V tile. Two
 * implementations that give the same bits (an fma per term, in order of the key): the plain
 * loops below, and {@link VectorValueKernels} (jdk.incubator.vector), picked to match the
 * {@link Kernels} of the session.
 */
interface ValueKernels {
    /**
     * {@code out[i·dv + c] = Σ p[i][j] · v[j·dv + c]} over j in [from[i], to[i]), summed by fma in
     * order of j, for i < rows and c < dv; a row with from ≥ to gets 0. Keys outside a row's range
     * are never read for it, so a NaN or ∞ in V reaches only the rows that see it (SPEC §7.3).
     */
    void weightedRows(float[][] p, int rows, int[] from, int[] to, float[] v, int dv, float[] out);

    /** The Vector API loop when the session's kernels are the Vector API ones; else the plain loops. */
    static ValueKernels matching(Kernels kernels) {
        return kernels instanceof ScalarKernels ? Scalar.INSTANCE : VectorHolder.INSTANCE;
    }

    /** Loads the Vector API loop once, on first use. */
    final class VectorHolder {
        static final ValueKernels INSTANCE = load();

        private VectorHolder() {}

        private static ValueKernels load() {
            try {
                // by name, as in Kernels.select: a JVM without jdk.incubator.vector never links it
                return (ValueKernels) Class.forName("org.colreduce.cpu.VectorValueKernels").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return Scalar.INSTANCE;
            }
        }
    }

    /**
     * Plain loops, register-tiled 4 rows × 4 columns in scalars (C2 does not vectorise an fma
     * axpy over a row, so the tile is what keeps the loads down: 8 per 16 fmas); the last rows
     * and columns one at a time.
     */
    final class Scalar implements ValueKernels {
        static final Scalar INSTANCE = new Scalar();

        @Override
        public void weightedRows(float[][] p, int rows, int[] from, int[] to, float[] v, int dv, float[] out) {
            int i0 = 0;
            for (; i0 + 4 <= rows; i0 += 4) {
                // lo..hi: keys some row sees; common..commonEnd: keys all four rows see
                int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE, common = Integer.MIN_VALUE, commonEnd = Integer.MAX_VALUE;
                for (int i = i0; i < i0 + 4; i++) {
                    if (from[i] < to[i]) {
                        lo = Math.min(lo, from[i]);
                        hi = Math.max(hi, to[i]);
                        common = Math.max(common, from[i]);
                        commonEnd = Math.min(commonEnd, to[i]);
                    } else {
                        common = Integer.MAX_VALUE;
                        commonEnd = Integer.MIN_VALUE;
                    }
                }
                float[] p0 = p[i0], p1 = p[i0 + 1], p2 = p[i0 + 2], p3 = p[i0 + 3];
                int c = 0;
                for (; c + 4 <= dv; c += 4) {
                    float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0,
                            a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0;
                    for (int j = lo; j < hi; j++) {
                        int vj = j * dv + c;
                        float v0 = v[vj], v1 = v[vj + 1], v2 = v[vj + 2], v3 = v[vj + 3];
                        boolean all = j >= common && j < commonEnd;
                        if (all || (j >= from[i0] && j < to[i0])) {
                            float w = p0[j];
                            a00 = Math.fma(w, v0, a00); a01 = Math.fma(w, v1, a01); a02 = Math.fma(w, v2, a02); a03 = Math.fma(w, v3, a03);
                        }
                        if (all || (j >= from[i0 + 1] && j < to[i0 + 1])) {
                            float w = p1[j];
                            a10 = Math.fma(w, v0, a10); a11 = Math.fma(w, v1, a11); a12 = Math.fma(w, v2, a12); a13 = Math.fma(w, v3, a13);
                        }
                        if (all || (j >= from[i0 + 2] && j < to[i0 + 2])) {
                            float w = p2[j];
                            a20 = Math.fma(w, v0, a20); a21 = Math.fma(w, v1, a21); a22 = Math.fma(w, v2, a22); a23 = Math.fma(w, v3, a23);
                        }
                        if (all || (j >= from[i0 + 3] && j < to[i0 + 3])) {
                            float w = p3[j];
                            a30 = Math.fma(w, v0, a30); a31 = Math.fma(w, v1, a31); a32 = Math.fma(w, v2, a32); a33 = Math.fma(w, v3, a33);
                        }
                    }
                    int o = i0 * dv + c;
                    out[o] = a00; out[o + 1] = a01; out[o + 2] = a02; out[o + 3] = a03;
                    o += dv;
                    out[o] = a10; out[o + 1] = a11; out[o + 2] = a12; out[o + 3] = a13;
                    o += dv;
                    out[o] = a20; out[o + 1] = a21; out[o + 2] = a22; out[o + 3] = a23;
                    o += dv;
                    out[o] = a30; out[o + 1] = a31; out[o + 2] = a32; out[o + 3] = a33;
                }
                for (int i = i0; i < i0 + 4; i++) columns(p[i], from[i], to[i], v, dv, c, out, i * dv);
            }
            for (int i = i0; i < rows; i++) columns(p[i], from[i], to[i], v, dv, 0, out, i * dv);
        }

        /** Columns c0..dv of one row, one at a time. */
        private static void columns(float[] p, int from, int to, float[] v, int dv, int c0, float[] out, int at) {
            java.util.Arrays.fill(out, at + c0, at + dv, 0f);
            for (int j = from; j < to; j++) {
                float pj = p[j];
                for (int c = c0, vj = j * dv; c < dv; c++) out[at + c] = Math.fma(pj, v[vj + c], out[at + c]);
            }
        }
    }
}
