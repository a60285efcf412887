package org.colreduce.cpu;

import org.colreduce.ColumnReduction;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;

/** A plain float64 column reduction, straight from the spec, for the provider's own tests. */
final class DoubleReference {
    private DoubleReference() {}

    /** Result in the layout of Session.outputShape, row-major. */
    static double[] reduce(Tensor q, Tensor k, ColumnReduction r) {
        int b = (int) q.size(0), hq = (int) q.size(1), m = (int) q.size(2), d = (int) q.size(3);
        int hkv = (int) k.size(1), n = (int) k.size(2), g = hq / hkv;
        double scale = Double.isNaN(r.scale()) ? 1 / Math.sqrt(d) : (float) r.scale();
        Mask mask = r.mask();
        HeadReduction heads = r.heads();
        int outHeads = switch (heads) { case NONE -> hq; case SUM, MEAN -> 1; default -> hkv; };
        double[] out = new double[b * outHeads * n];
        double[] s = new double[n];
        float[] qf = q.toFloatArray(), kf = k.toFloatArray();
        for (int bb = 0; bb < b; bb++) {
            int lenQ = r.queryLengths() == null ? m : r.queryLengths()[bb];
            int lenK = r.keyLengths() == null ? n : r.keyLengths()[bb];
            for (int h = 0; h < hq; h++) {
                double[] col = new double[n];
                if (r.reduction() == Reduction.MAX) java.util.Arrays.fill(col, Double.NEGATIVE_INFINITY);
                int[] seen = new int[n];
                for (int i = 0; i < m; i++) {
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        if (!mask.visible(i, j, lenQ, lenK)) continue;
                        double acc = 0;
                        int qi = ((bb * hq + h) * m + i) * d, kj = ((bb * hkv + h / g) * n + j) * d;
                        for (int e = 0; e < d; e++) acc += (double) qf[qi + e] * kf[kj + e];
                        s[j] = scale * acc;
                        mx = Math.max(mx, s[j]);
                    }
                    if (mx == Double.NEGATIVE_INFINITY) continue;
                    double sum = 0;
                    for (int j = 0; j < n; j++) if (mask.visible(i, j, lenQ, lenK)) sum += Math.exp(s[j] - mx);
                    for (int j = 0; j < n; j++) {
                        if (!mask.visible(i, j, lenQ, lenK)) continue;
                        double p = Math.exp(s[j] - mx) / sum;
                        seen[j]++;
                        if (r.reduction() == Reduction.MAX) col[j] = Math.max(col[j], p);
                        else col[j] += p;
                    }
                }
                int o = switch (heads) { case NONE -> h; case SUM, MEAN -> 0; default -> h / g; };
                int div = switch (heads) { case MEAN -> hq; case GROUP_MEAN -> g; default -> 1; };
                for (int j = 0; j < n; j++) {
                    double v = seen[j] == 0 ? 0 : r.reduction() == Reduction.MEAN ? col[j] / seen[j] : col[j];
                    out[(bb * outHeads + o) * n + j] += v / div;
                }
            }
        }
        return out;
    }

    /** ‖a − b‖ / ‖b‖ (or ‖a − b‖ where b = 0). */
    static double relativeError(float[] a, double[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }
}
