package org.colreduce.vulkan;

import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;

/** A plain float64 double loop over SPEC §3–§6, for the direct tests (the conformance suite has its own). */
final class DirectReference {
    private DirectReference() {}

    static double[] compute(Tensor q, Tensor k, double scale, Mask mask, Reduction red, HeadReduction heads, int[] lenQ, int[] lenK, float[] previous, int prevLen) {
        int b = (int) q.size(0), hq = (int) q.size(1), m = (int) q.size(2), d = (int) q.size(3);
        int hkv = (int) k.size(1), n = (int) k.size(2), g = hq / hkv;
        int oh = switch (heads) { case NONE -> hq; case SUM, MEAN -> 1; default -> hkv; };
        double[] out = new double[b * oh * n];
        for (int bi = 0; bi < b; bi++) {
            int lq = lenQ == null ? m : lenQ[bi], lk = lenK == null ? n : lenK[bi];
            for (int h = 0; h < hq; h++) {
                double[] col = new double[n];
                double[][] s = new double[m][n];
                for (int i = 0; i < lq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        if (!mask.visible(i, j, lq, lk)) continue;
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += (double) q.get(bi, h, i, e) * k.get(bi, h / g, j, e);
                        s[i][j] = dot * scale;
                        max = Math.max(max, s[i][j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) if (mask.visible(i, j, lq, lk)) sum += Math.exp(s[i][j] - max);
                    for (int j = 0; j < n; j++) {
                        if (!mask.visible(i, j, lq, lk)) continue;
                        double p = Math.exp(s[i][j] - max) / sum;
                        col[j] = red == Reduction.MAX ? Math.max(col[j], p) : col[j] + p;
                    }
                }
                for (int j = 0; j < n; j++) {
                    double v = col[j];
                    if (red == Reduction.MEAN) { long c = mask.rowsSeeing(j, lq, lk); v = c == 0 ? 0 : v / c; }
                    int o = switch (heads) { case NONE -> h; case SUM, MEAN -> 0; default -> h / g; };
                    double div = switch (heads) { case MEAN -> hq; case GROUP_MEAN -> g; default -> 1; };
                    out[(bi * oh + o) * n + j] += v / div;
                }
            }
        }
        if (previous != null)
            for (int r = 0; r < b * oh; r++) for (int j = 0; j < prevLen; j++) out[r * n + j] += previous[r * prevLen + j];
        return out;
    }
}
