package org.colreduce.conformance;

import org.colreduce.ColumnReduction;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;

/**
 * The float64 reference of {@code attend} (SPEC §11): P = softmax(Q·Kᵀ·scale + mask) row by
 * row, O = P·V, and the column reduction of the same P, computed from the values the inputs
 * hold once rounded to their element type (so the reference sees exactly what a backend sees).
 * A row that sees no key gives O = 0 and contributes to no column. Straightforward loops, no
 * tiling: it is the definition, not an implementation.
 */
public final class AttentionReference {
    private AttentionReference() {}

    /**
     * O [B, Hq, M, Dv] and the scores (the column reduction's shape, SPEC §5), both row-major.
     */
    public record Result(double[] output, double[] scores, long[] outputShape, long[] scoresShape) {}

    /** {@code attend} without previous scores. */
    public static Result attend(Tensor q, Tensor k, Tensor v, ColumnReduction r) {
        return attend(q, k, v, r, null, 0);
    }

    /**
     * {@code attend} with previous scores: {@code previous} holds the scores' shape with a last
     * extent {@code previousLength} ≤ N, row-major, read as zero-padded (SPEC §6.1); null for none.
     */
    public static Result attend(Tensor q, Tensor k, Tensor v, ColumnReduction r, float[] previous, int previousLength) {
        int b = (int) q.size(0), hq = (int) q.size(1), m = (int) q.size(2), d = (int) q.size(3);
        int hkv = (int) k.size(1), n = (int) k.size(2), dv = (int) v.size(3);
        int group = hq / hkv;
        double scale = (float) (Double.isNaN(r.scale()) ? 1.0 / Math.sqrt(d) : r.scale());
        int[] lenQ = r.queryLengths(), lenK = r.keyLengths();
        Mask mask = r.mask();
        HeadReduction heads = r.heads();
        int outHeads = switch (heads) {
            case NONE -> hq;
            case SUM, MEAN -> 1;
            case GROUP_SUM, GROUP_MEAN -> hkv;
        };
        int headDivisor = switch (heads) {
            case NONE, SUM, GROUP_SUM -> 1;
            case MEAN -> hq;
            case GROUP_MEAN -> group;
        };

        float[] qf = q.toFloatArray(), kf = k.toFloatArray(), vf = v.toFloatArray();
        double[] out = new double[b * hq * m * dv];
        double[] scores = new double[b * outHeads * n];
        double[] column = new double[n];
        double[] s = new double[n];
        for (int bi = 0; bi < b; bi++) {
            long lq = lenQ == null ? m : lenQ[bi], lk = lenK == null ? n : lenK[bi];
            for (int h = 0; h < hq; h++) {
                int kh = h / group;
                int oh = switch (heads) {
                    case NONE -> h;
                    case SUM, MEAN -> 0;
                    case GROUP_SUM, GROUP_MEAN -> kh;
                };
                java.util.Arrays.fill(column, 0);
                for (int i = 0; i < m; i++) {
                    long first = mask.firstKey(i, lq, lk), last = mask.lastKey(i, lq, lk);
                    if (first > last) continue; // sees no key: O row stays 0, no column gets anything
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = (int) first; j <= last; j++) {
                        double dot = 0;
                        int qo = ((bi * hq + h) * m + i) * d, ko = ((bi * hkv + kh) * n + j) * d;
                        for (int c = 0; c < d; c++) dot += (double) qf[qo + c] * kf[ko + c];
                        s[j] = dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = (int) first; j <= last; j++) sum += Math.exp(s[j] - max);
                    int o = ((bi * hq + h) * m + i) * dv;
                    for (int j = (int) first; j <= last; j++) {
                        double p = Math.exp(s[j] - max) / sum; // NaN anywhere in the row makes it NaN (SPEC §7.3)
                        int vo = ((bi * hkv + kh) * n + j) * dv;
                        for (int c = 0; c < dv; c++) out[o + c] += p * vf[vo + c];
                        column[j] = r.reduction() == Reduction.MAX ? Math.max(column[j], p) : column[j] + p;
                    }
                }
                int so = (bi * outHeads + oh) * n;
                for (int j = 0; j < n; j++) {
                    double value = column[j];
                    if (r.reduction() == Reduction.MEAN) {
                        long rows = mask.rowsSeeing(j, lq, lk);
                        value = rows == 0 ? 0 : value / rows;
                    }
                    scores[so + j] += value / headDivisor;
                }
            }
        }
        if (previous != null) {
            for (int row = 0; row < b * outHeads; row++)
                for (int j = 0; j < previousLength; j++) scores[row * n + j] += previous[row * previousLength + j];
        }
        return new Result(out, scores, new long[]{b, hq, m, dv}, shapeOf(b, outHeads, hq, hkv, n, heads));
    }

    private static long[] shapeOf(int b, int outHeads, int hq, int hkv, int n, HeadReduction heads) {
        return heads == HeadReduction.SUM || heads == HeadReduction.MEAN ? new long[]{b, n} : new long[]{b, outHeads, n};
    }
}
