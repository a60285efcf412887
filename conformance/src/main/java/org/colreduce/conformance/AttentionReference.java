package org.colreduce.conformance;

import org.colreduce.ColumnReduction;
import org.colreduce.Tensor;

/**
 * The float64 reference of {@code attend} (SPEC §11): O = P·V with P the rows of
 * {@link Reference#rowProbabilities} (the same softmax, masks and NaN rule as the column
 * reference), and the scores from {@link Reference#columnReduce} on the same inputs. A row that
 * sees no key gives O = 0; a key a row does not see is never read for it, so a NaN or Inf in V
 * reaches exactly the outputs that read it, as NaN (SPEC §7.3: an infinite O can only come from
 * an infinite V, since |O| ≤ max |V|, and IEEE arithmetic alone would give ±Inf or NaN depending
 * on the signs met and on whether p rounds to 0).
 */
public final class AttentionReference {
    private AttentionReference() {}

    /** O [B, Hq, M, Dv] and the scores (the column reduction's shape), both row-major, with their shapes. */
    public record Result(double[] output, double[] scores, long[] outputShape, long[] scoresShape) {}

    public static Result attend(Tensor q, Tensor k, Tensor v, ColumnReduction r) {
        return attend(q, k, v, r, null);
    }

    /** With {@code previous} scores (null for none), read as zero-padded (SPEC §6.1). */
    public static Result attend(Tensor q, Tensor k, Tensor v, ColumnReduction r, Tensor previous) {
        int b = (int) q.size(0), hq = (int) q.size(1), m = (int) q.size(2), d = (int) q.size(3);
        int hkv = (int) k.size(1), n = (int) k.size(2), dv = (int) v.size(3);
        int group = hq / hkv;
        double scale = Reference.scale(r, d);
        int[] lenQ = r.queryLengths(), lenK = r.keyLengths();
        float[] values = v.toFloatArray();
        double[] out = new double[b * hq * m * dv];
        for (int bi = 0; bi < b; bi++) {
            int lq = lenQ == null ? m : lenQ[bi], lk = lenK == null ? n : lenK[bi];
            for (int h = 0; h < hq; h++) {
                int kv = h / group;
                for (int i = 0; i < m; i++) {
                    double[] p = Reference.rowProbabilities(q, k, r.mask(), scale, bi, h, kv, i, n, d, lq, lk);
                    if (p == null) continue; // sees no key: O = 0
                    int o = ((bi * hq + h) * m + i) * dv;
                    for (int j = 0; j < n; j++) {
                        if (!Reference.visible(r.mask(), i, j, lq, lk)) continue;
                        int at = ((bi * hkv + kv) * n + j) * dv;
                        for (int c = 0; c < dv; c++) out[o + c] += p[j] * values[at + c];
                    }
                }
            }
        }
        for (int x = 0; x < out.length; x++) if (Double.isInfinite(out[x])) out[x] = Double.NaN;
        double[] scores = Reference.columnReduce(q, k, r, previous);
        return new Result(out, scores, new long[]{b, hq, m, dv}, Reference.outputShape(q, k, r.heads()));
    }
}
