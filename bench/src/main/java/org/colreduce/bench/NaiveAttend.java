package org.colreduce.bench;

import java.util.stream.IntStream;
import org.colreduce.Tensor;

/**
 * The eager path a Java user would write for O and the scores: materialise P = softmax(Q·Kᵀ·scale)
 * for one head (M·N floats), then O = P·V and the column sums of P. Plain loops, parallel over
 * (batch, head) like the provider, contiguous inputs read as float; causal bottom-right when asked.
 */
final class NaiveAttend {
    private NaiveAttend() {}

    /** {O [B, H, M, Dv], scores [B, H, N]}. */
    static float[][] attend(Tensor qt, Tensor kt, Tensor vt, boolean causal) {
        int b = (int) qt.size(0), hq = (int) qt.size(1), m = (int) qt.size(2), d = (int) qt.size(3);
        int hkv = (int) kt.size(1), n = (int) kt.size(2), dv = (int) vt.size(3), g = hq / hkv;
        float[] q = qt.toFloatArray(), k = kt.toFloatArray(), v = vt.toFloatArray();
        float scale = (float) (1 / Math.sqrt(d));
        float[] out = new float[b * hq * m * dv], scores = new float[b * hq * n];
        IntStream.range(0, b * hq).parallel().forEach(bh -> {
            int qBase = bh * m * d, kv = bh / hq * hkv + bh % hq / g, kBase = kv * n * d, vBase = kv * n * dv;
            float[] p = NaiveColumnReduce.probabilities(q, k, qBase, kBase, m, n, d, scale, causal);
            for (int i = 0; i < m; i++) {
                int last = causal ? Math.min(n - 1, i + n - m) : n - 1;
                int o = (bh * m + i) * dv;
                for (int j = 0; j <= last; j++) {
                    float pij = p[i * n + j];
                    scores[bh * n + j] += pij;
                    for (int c = 0; c < dv; c++) out[o + c] += pij * v[vBase + j * dv + c];
                }
            }
        });
        return new float[][]{out, scores};
    }
}
