package org.colreduce.cli;

import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;
import org.colreduce.spi.ReduceProblem;

/**
 * The contract (docs/SPEC.md) as plain float64 loops over host tensors, materialising one row
 * of P at a time: what the demo checks a backend against, on a small case.
 */
final class DoubleReference {
    private DoubleReference() {}

    /** Column scores (without {@code previous}), row-major over {@code p.outputShape()}; and O [B, Hq, M, Dv] when {@code v} is given. */
    record Result(double[] scores, double[] output) {}

    static Result compute(ReduceProblem p, Tensor v) {
        Tensor q = (Tensor) p.q(), k = (Tensor) p.k();
        int n = p.keys(), m = p.queries(), d = p.headDim(), dv = v == null ? 0 : (int) v.size(3);
        double[] scores = new double[p.batch() * p.outputHeads() * n];
        double[] output = v == null ? null : new double[p.batch() * p.queryHeads() * m * dv];
        double[] row = new double[n], column = new double[n];
        Mask mask = p.mask();
        for (int b = 0; b < p.batch(); b++) {
            int lenQ = p.queryLengths()[b], lenK = p.keyLengths()[b];
            for (int h = 0; h < p.queryHeads(); h++) {
                int kvh = h / p.groupSize();
                java.util.Arrays.fill(column, 0);
                for (int i = 0; i < lenQ; i++) {
                    int first = (int) mask.firstKey(i, lenQ, lenK), last = (int) mask.lastKey(i, lenQ, lenK);
                    if (last < first) continue; // a row that sees no key contributes nothing
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = first; j <= last; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += (double) q.get(b, h, i, e) * k.get(b, kvh, j, e);
                        row[j] = (double) p.scale() * dot;
                        max = Math.max(max, row[j]);
                    }
                    for (int j = first; j <= last; j++) sum += Math.exp(row[j] - max);
                    for (int j = first; j <= last; j++) {
                        double pij = Math.exp(row[j] - max) / sum;
                        column[j] = p.reduction() == Reduction.MAX ? Math.max(column[j], pij) : column[j] + pij;
                        if (output != null) {
                            int at = ((b * p.queryHeads() + h) * m + i) * dv;
                            for (int e = 0; e < dv; e++) output[at + e] += pij * v.get(b, kvh, j, e);
                        }
                    }
                }
                int at = (b * p.outputHeads() + p.outputHeadOf(h)) * n;
                for (int j = 0; j < n; j++) {
                    double c = column[j];
                    if (p.reduction() == Reduction.MEAN) {
                        long rows = mask.rowsSeeing(j, lenQ, lenK);
                        c = rows == 0 ? 0 : c / rows;
                    }
                    scores[at + j] += c / p.headDivisor();
                }
            }
        }
        return new Result(scores, output);
    }
}
