package org.colreduce.bench;

import java.util.stream.IntStream;
import org.colreduce.Tensor;

/**
 * The baseline a Java user would write first: materialise S = Q·Kᵀ·scale for one head (M·N
 * floats), softmax each row in place, sum the columns. Plain loops, parallel over (batch, head)
 * like the provider, contiguous [B, H, M, D] inputs read as float; causal bottom-right when asked.
 */
final class NaiveColumnReduce {
    private NaiveColumnReduce() {}

    static float[] sum(Tensor qt, Tensor kt, boolean causal) {
        int b = (int) qt.size(0), hq = (int) qt.size(1), m = (int) qt.size(2), d = (int) qt.size(3);
        int hkv = (int) kt.size(1), n = (int) kt.size(2), g = hq / hkv;
        float[] q = qt.toFloatArray(), k = kt.toFloatArray();
        float scale = (float) (1 / Math.sqrt(d));
        float[] out = new float[b * hq * n];
        IntStream.range(0, b * hq).parallel().forEach(bh -> {
            int qBase = bh * m * d, kBase = (bh / hq * hkv + bh % hq / g) * n * d;
            float[] p = probabilities(q, k, qBase, kBase, m, n, d, scale, causal);
            for (int i = 0; i < m; i++) {
                int last = causal ? Math.min(n - 1, i + n - m) : n - 1;
                for (int j = 0; j <= last; j++) out[bh * n + j] += p[i * n + j];
            }
        });
        return out;
    }

    /** P of one (batch, head), materialised [M, N] row-major: the naive path's O(M·N) step. */
    static float[] probabilities(float[] q, float[] k, int qBase, int kBase, int m, int n, int d, float scale, boolean causal) {
        float[] p = new float[m * n];
        for (int i = 0; i < m; i++) {
            int last = causal ? Math.min(n - 1, i + n - m) : n - 1;
            if (last < 0) continue;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j <= last; j++) {
                float acc = 0;
                for (int e = 0; e < d; e++) acc += q[qBase + i * d + e] * k[kBase + j * d + e];
                p[i * n + j] = acc * scale;
                max = Math.max(max, p[i * n + j]);
            }
            float sum = 0;
            for (int j = 0; j <= last; j++) sum += p[i * n + j] = (float) Math.exp(p[i * n + j] - max);
            for (int j = 0; j <= last; j++) p[i * n + j] /= sum;
        }
        return p;
    }
}
