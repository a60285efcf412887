package org.colreduce.cpu;

import static org.colreduce.cpu.TileShape.KEYS;
import static org.colreduce.cpu.TileShape.ROW_STEP;

import java.util.Arrays;

/** Plain loops: the path of a JVM without jdk.incubator.vector. Same score bits as {@link VectorKernels}. */
final class ScalarKernels implements Kernels {
    private final String description;

    ScalarKernels(String description) { this.description = description; }

    @Override
    public void scores(float[] q, int q0, int rows, float[] kT, int keys, int dim, float[] s) {
        int padded = (rows + ROW_STEP - 1) / ROW_STEP * ROW_STEP;
        for (int i = 0; i < padded; i++) {
            int si = i * KEYS;
            Arrays.fill(s, si, si + keys, 0f);
            for (int d = 0; d < dim; d++) {
                float qv = q[q0 + i * dim + d];
                int kd = d * KEYS;
                for (int j = 0; j < keys; j++) s[si + j] = Math.fma(qv, kT[kd + j], s[si + j]);
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
    public void addExp(float[] s, int row, int from, int to, float shift, float[] acc) {
        for (int j = from; j < to; j++) acc[j] += FastExp.exp(s[row + j] - shift);
    }

    @Override
    public void maxShifted(float[] s, int row, int from, int to, float shift, float[] acc) {
        for (int j = from; j < to; j++) acc[j] = Math.max(acc[j], s[row + j] - shift);
    }

    @Override
    public String describe() { return description; }
}
