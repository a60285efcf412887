package org.colreduce.cpu;

import static org.colreduce.cpu.TileShape.KEYS;

/** Plain loops: the path of a JVM without jdk.incubator.vector. Same score bits as {@link VectorKernels}. */
final class ScalarKernels implements Kernels {
    private final String description;

    ScalarKernels(String description) { this.description = description; }

    /**
     * Register-tiled like the vector kernel, 4 rows × 4 keys in 16 scalar accumulators (13 GFLOP/s
     * on this machine's core against 4.5 for an axpy over rows of s, which C2 does not vectorise).
     * Each score is the same fma chain over d as in {@link VectorKernels}, so both give the same bits.
     */
    @Override
    public void scores(float[] q, int q0, int rows, float[] kT, int keys, int dim, float[] s) {
        int full = rows / 4 * 4;
        for (int i = full; i < rows; i++) {
            int r = q0 + i * dim;
            for (int j = 0; j < keys; j += 4) {
                float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
                for (int d = 0, kd = j; d < dim; d++, kd += KEYS) {
                    float a = q[r + d];
                    c0 = Math.fma(a, kT[kd], c0);
                    c1 = Math.fma(a, kT[kd + 1], c1);
                    c2 = Math.fma(a, kT[kd + 2], c2);
                    c3 = Math.fma(a, kT[kd + 3], c3);
                }
                int si = i * KEYS + j;
                s[si] = c0; s[si + 1] = c1; s[si + 2] = c2; s[si + 3] = c3;
            }
        }
        for (int i = 0; i < full; i += 4) {
            int r0 = q0 + i * dim, r1 = r0 + dim, r2 = r1 + dim, r3 = r2 + dim;
            for (int j = 0; j < keys; j += 4) {
                float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0,
                        c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
                for (int d = 0, kd = j; d < dim; d++, kd += KEYS) {
                    float k0 = kT[kd], k1 = kT[kd + 1], k2 = kT[kd + 2], k3 = kT[kd + 3];
                    float a0 = q[r0 + d], a1 = q[r1 + d], a2 = q[r2 + d], a3 = q[r3 + d];
                    c00 = Math.fma(a0, k0, c00);
                    c01 = Math.fma(a0, k1, c01);
                    c02 = Math.fma(a0, k2, c02);
                    c03 = Math.fma(a0, k3, c03);
                    c10 = Math.fma(a1, k0, c10);
                    c11 = Math.fma(a1, k1, c11);
                    c12 = Math.fma(a1, k2, c12);
                    c13 = Math.fma(a1, k3, c13);
                    c20 = Math.fma(a2, k0, c20);
                    c21 = Math.fma(a2, k1, c21);
                    c22 = Math.fma(a2, k2, c22);
                    c23 = Math.fma(a2, k3, c23);
                    c30 = Math.fma(a3, k0, c30);
                    c31 = Math.fma(a3, k1, c31);
                    c32 = Math.fma(a3, k2, c32);
                    c33 = Math.fma(a3, k3, c33);
                }
                int si = i * KEYS + j;
                s[si] = c00; s[si + 1] = c01; s[si + 2] = c02; s[si + 3] = c03;
                si += KEYS;
                s[si] = c10; s[si + 1] = c11; s[si + 2] = c12; s[si + 3] = c13;
                si += KEYS;
                s[si] = c20; s[si + 1] = c21; s[si + 2] = c22; s[si + 3] = c23;
                si += KEYS;
                s[si] = c30; s[si + 1] = c31; s[si + 2] = c32; s[si + 3] = c33;
            }
        }
    }

    @Override
    public float max(float[] a, int from, int to) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) if (a[j] > m) m = a[j];
        return m;
    }

    @Override
    public double sumExp(float[] a, int from, int to, float shift, float[] lanes) {
        float sum = 0f;
        for (int j = from; j < to; j++) sum += FastExp.exp(a[j] - shift);
        return sum;
    }

    @Override
    public void addExp(float[] s, int row, int from, int to, float max, float logSum, float[] acc) {
        for (int j = from; j < to; j++) acc[j] += FastExp.exp((s[row + j] - max) - logSum);
    }

    @Override
    public void maxShifted(float[] s, int row, int from, int to, float max, float logSum, float[] acc) {
        for (int j = from; j < to; j++) acc[j] = Math.max(acc[j], (s[row + j] - max) - logSum);
    }

    @Override
    public String describe() { return description; }
}
