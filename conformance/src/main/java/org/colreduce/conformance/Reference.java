package org.colreduce.conformance;

import java.util.Arrays;
import org.colreduce.ColumnReduction;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;
import org.colreduce.spi.ReduceProblem;

/**
 * The float64 reference of docs/SPEC.md §1–§7, written to be obviously right rather than fast:
 * for every batch, query head and row it computes the scores over the visible keys in double,
 * a max-subtracted softmax in double, and adds the row's probabilities into its columns; then the
 * reduction (§4), the head reduction (§5) and the accumulation with {@code previous} (§6).
 *
 * <p>It reads host {@link Tensor} views element by element ({@link Tensor#index}, {@link
 * Tensor#getAt}), so strided views and F16/BF16 work and the reference sees exactly the rounded
 * values a backend sees. Visibility is the spec's formula (§3) written out here, independently of
 * the {@link Mask} helpers that backends use (ReferenceTest checks that the two agree).
 *
 * <p>NaN (§7.3): a row any of whose visible scores is NaN or infinite is poisoned: each of its
 * probabilities is NaN, so every column it sees becomes NaN (Math.max propagates NaN for MAX).
 */
public final class Reference {
    private Reference() {}

    /** The reduction of P into a new row-major array over the output shape ([B, Hq, N], [B, N] or [B, Hkv, N]). */
    public static double[] columnReduce(Tensor q, Tensor k, ColumnReduction r) {
        return columnReduce(q, k, r, null);
    }

    /** As {@link #columnReduce(Tensor, Tensor, ColumnReduction)}, plus {@code previous} read as zero-padded (§6.1). */
    public static double[] columnReduce(Tensor q, Tensor k, ColumnReduction r, Tensor previous) {
        long[] qs = q.shape(), ks = k.shape();
        int b = (int) qs[0], hq = (int) qs[1], m = (int) qs[2], d = (int) qs[3];
        int hkv = (int) ks[1], n = (int) ks[2];
        if (ks[0] != b || ks[3] != d || hq % hkv != 0)
            throw new IllegalArgumentException("reference: q " + Arrays.toString(qs) + " and k " + Arrays.toString(ks) + " do not fit");
        int group = hq / hkv;
        double scale = scale(r, d);
        int[] lenQ = lengths(r.queryLengths(), b, m);
        int[] lenK = lengths(r.keyLengths(), b, n);

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
        double[] out = new double[b * outHeads * n];
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < hq; h++) {
                double[] perHead = headColumns(q, k, r.mask(), r.reduction(), scale, bi, h, h / group, m, n, d, lenQ[bi], lenK[bi]);
                int oh = switch (heads) {
                    case NONE -> h;
                    case SUM, MEAN -> 0;
                    case GROUP_SUM, GROUP_MEAN -> h / group;
                };
                for (int j = 0; j < n; j++) out[(bi * outHeads + oh) * n + j] += perHead[j] / headDivisor;
            }
        }
        if (previous != null) {
            int len = (int) previous.size(previous.rank() - 1);
            for (int bi = 0; bi < b; bi++)
                for (int oh = 0; oh < outHeads; oh++)
                    for (int j = 0; j < len; j++) {
                        float prev = previous.rank() == 2 ? previous.get(bi, j) : previous.get(bi, oh, j);
                        out[(bi * outHeads + oh) * n + j] += prev;
                    }
        }
        return out;
    }

    /** One query head's reduced columns (length N): §4 over the rows of batch bi. */
    private static double[] headColumns(Tensor q, Tensor k, Mask mask, Reduction reduction, double scale,
                                        int bi, int h, int kvh, int m, int n, int d, int lenQ, int lenK) {
        double[] acc = new double[n];
        int[] rowsSeeing = new int[n];
        for (int i = 0; i < m; i++) {
            double[] p = rowProbabilities(q, k, mask, scale, bi, h, kvh, i, n, d, lenQ, lenK);
            if (p == null) continue; // §3.6, §3.7: the row contributes nothing
            for (int j = 0; j < n; j++) {
                if (!visible(mask, i, j, lenQ, lenK)) continue;
                rowsSeeing[j]++;
                acc[j] = reduction == Reduction.MAX ? max(acc[j], p[j]) : acc[j] + p[j];
            }
        }
        if (reduction == Reduction.MEAN)
            for (int j = 0; j < n; j++) acc[j] = rowsSeeing[j] == 0 ? 0 : acc[j] / rowsSeeing[j];
        return acc;
    }

    /** Row i of P (invisible entries 0), or null when the row sees no key. Public for tests of the reference itself. */
    public static double[] rowProbabilities(Tensor q, Tensor k, Mask mask, double scale,
                                            int bi, int h, int kvh, int i, int n, int d, int lenQ, int lenK) {
        double[] s = new double[n];
        boolean any = false, poisoned = false;
        double max = Double.NEGATIVE_INFINITY;
        double[] qi = new double[d];
        for (int c = 0; c < d; c++) qi[c] = q.get(bi, h, i, c);
        for (int j = 0; j < n; j++) {
            if (!visible(mask, i, j, lenQ, lenK)) continue;
            double dot = 0;
            for (int c = 0; c < d; c++) dot += qi[c] * k.get(bi, kvh, j, c);
            s[j] = scale * dot;
            if (!Double.isFinite(s[j])) poisoned = true;
            max = Math.max(max, s[j]);
            any = true;
        }
        if (!any) return null;
        double[] p = new double[n];
        if (poisoned) {
            for (int j = 0; j < n; j++) if (visible(mask, i, j, lenQ, lenK)) p[j] = Double.NaN;
            return p;
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            if (!visible(mask, i, j, lenQ, lenK)) continue;
            p[j] = Math.exp(s[j] - max);
            sum += p[j];
        }
        for (int j = 0; j < n; j++) p[j] /= sum;
        return p;
    }

    /**
     * SPEC §3 as written: key j is visible to row i of a batch with lengths lenQ, lenK iff
     * i < lenQ, j < lenK and, for causal masks, j ≤ i + off (off = lenK − lenQ bottom-right, 0
     * top-left), and for a sliding window of W also j > i + off − W.
     */
    public static boolean visible(Mask mask, long i, long j, long lenQ, long lenK) {
        if (i >= lenQ || j >= lenK) return false;
        if (mask.kind() == Mask.Kind.NONE) return true;
        long off = mask.alignment() == Mask.Alignment.BOTTOM_RIGHT ? lenK - lenQ : 0;
        if (j > i + off) return false;
        return mask.kind() != Mask.Kind.SLIDING_WINDOW || j > i + off - mask.window();
    }

    /** The scale a backend receives: the given one or 1/√D, rounded to float as {@link ReduceProblem} does. */
    public static double scale(ColumnReduction r, int d) {
        double s = Double.isNaN(r.scale()) ? 1.0 / Math.sqrt(d) : r.scale();
        return (float) s;
    }

    /** The result shape, as {@link ReduceProblem#outputShape}. */
    public static long[] outputShape(Tensor q, Tensor k, HeadReduction heads) {
        return ReduceProblem.outputShape((int) q.size(0), (int) q.size(1), (int) k.size(1), (int) k.size(2), heads);
    }

    private static double max(double a, double b) { return Math.max(a, b); }

    private static int[] lengths(int[] given, int b, int max) {
        if (given == null) {
            int[] all = new int[b];
            Arrays.fill(all, max);
            return all;
        }
        return given;
    }
}
