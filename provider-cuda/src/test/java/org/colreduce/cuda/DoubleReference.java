package org.colreduce.cuda;

import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;

/** SPEC §3–§6 as a plain float64 double loop over the rounded inputs: the tests' oracle. */
final class DoubleReference {
    private DoubleReference() {}

    static double[] columnReduce(Tensor q, Tensor k, double scale, Mask mask, Reduction red, HeadReduction heads,
                                 int[] lenQ, int[] lenK, Tensor previous) {
        int b = (int) q.size(0), hq = (int) q.size(1), m = (int) q.size(2), d = (int) q.size(3);
        int hkv = (int) k.size(1), n = (int) k.size(2), g = hq / hkv;
        double[] perHead = new double[b * hq * n];
        for (int bi = 0; bi < b; bi++) {
            int lq = lenQ == null ? m : lenQ[bi], lk = lenK == null ? n : lenK[bi];
            for (int h = 0; h < hq; h++) {
                double[] sum = new double[n], max = new double[n];
                double[] s = new double[n];
                for (int i = 0; i < m; i++) {
                    double mx = Double.NEGATIVE_INFINITY;
                    boolean any = false;
                    for (int j = 0; j < n; j++) {
                        if (!mask.visible(i, j, lq, lk)) continue;
                        double dot = 0;
                        for (int x = 0; x < d; x++) dot += (double) q.get(bi, h, i, x) * k.get(bi, h / g, j, x);
                        s[j] = dot * scale;
                        mx = Double.isNaN(s[j]) || Double.isNaN(mx) ? Double.NaN : Math.max(mx, s[j]);
                        any = true;
                    }
                    if (!any) continue;
                    double z = 0;
                    for (int j = 0; j < n; j++) if (mask.visible(i, j, lq, lk)) z += Math.exp(s[j] - mx);
                    for (int j = 0; j < n; j++) {
                        if (!mask.visible(i, j, lq, lk)) continue;
                        double p = Math.exp(s[j] - mx) / z;
                        sum[j] += p;
                        max[j] = Double.isNaN(p) ? Double.NaN : Math.max(max[j], p);
                    }
                }
                for (int j = 0; j < n; j++) {
                    double v = switch (red) {
                        case SUM -> sum[j];
                        case MAX -> max[j];
                        case MEAN -> { long c = mask.rowsSeeing(j, lq, lk); yield c == 0 ? 0 : sum[j] / c; }
                    };
                    perHead[(bi * hq + h) * n + j] = v;
                }
            }
        }
        int oh = switch (heads) { case NONE -> hq; case SUM, MEAN -> 1; case GROUP_SUM, GROUP_MEAN -> hkv; };
        int per = hq / oh;
        double[] out = new double[b * oh * n];
        for (int bi = 0; bi < b; bi++)
            for (int o = 0; o < oh; o++)
                for (int j = 0; j < n; j++) {
                    double v = 0;
                    for (int h = o * per; h < (o + 1) * per; h++) v += perHead[(bi * hq + h) * n + j];
                    if (heads.averages()) v /= per;
                    if (previous != null && j < previous.size(2)) v += previous.get(bi, o, j);
                    out[(bi * oh + o) * n + j] = v;
                }
        return out;
    }

    /** Relative Frobenius error; NaN where the NaN pattern differs. */
    static double relativeError(double[] ref, float[] got) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Double.isNaN(ref[i]) != Float.isNaN(got[i])) return Double.NaN;
            if (Double.isNaN(ref[i])) continue;
            num += (ref[i] - got[i]) * (ref[i] - got[i]);
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    static double maxError(double[] ref, float[] got) {
        double e = 0, top = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Double.isNaN(ref[i])) continue;
            e = Math.max(e, Math.abs(ref[i] - got[i]));
            top = Math.max(top, Math.abs(ref[i]));
        }
        return top == 0 ? e : e / top;
    }
}
