package org.colreduce.cpu;

import static org.colreduce.cpu.TileShape.KEYS;
import static org.colreduce.cpu.TileShape.ROWS;

import java.util.Arrays;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;
import org.colreduce.spi.ReduceProblem;

/**
 * Pass 2: a task owns one key block (KEYS columns) of one batch for a group of query heads (see
 * {@link #run}). For each query head, in head order, it streams the rows that see the block,
 * recomputes s, and reduces p = exp(s − lse) over rows into its columns; then it combines the
 * heads where asked, adds {@code previous} and writes {@code out}. No two tasks write the same
 * column and every sum has a fixed order, so the bits do not depend on the thread count (SPEC 8.1).
 * <p>
 * Row sums go in two levels, a float sum over one row tile then a double sum of the tiles, which
 * keeps the error near (ROWS + M/ROWS)·ε instead of M·ε. MAX takes the max of s − lse and one
 * exp per column at the end.
 */
final class ColumnPass {
    private ColumnPass() {}

    static int blocks(ReduceProblem p) { return (p.keys() + KEYS - 1) / KEYS; }

    /** KV heads, or 1 when every query head feeds one output (SUM, MEAN over heads). */
    static int units(ReduceProblem p) { return p.heads() == HeadReduction.SUM || p.heads() == HeadReduction.MEAN ? 1 : p.kvHeads(); }

    static int tasks(ReduceProblem p) { return Math.multiplyExact(p.batch() * units(p), blocks(p)); }

    /**
     * Task t: one key block of one batch for the query heads of one unit (a KV head's group, or
     * all heads), which read each K tile once. Without a head reduction each head is its own
     * output; otherwise the unit's heads add up, in head order, into one.
     */
    static void run(HostProblem hp, Kernels kern, int task, float[] lse) {
        ReduceProblem p = hp.p();
        int blocks = blocks(p), units = units(p);
        int b = task / (units * blocks), unit = task / blocks % units, j0 = task % blocks * KEYS;
        int lenQ = p.queryLengths()[b], lenK = p.keyLengths()[b];
        int width = Math.min(KEYS, p.keys() - j0);       // the columns this task writes
        int keys = Math.max(0, Math.min(width, lenK - j0)); // the ones some row may see
        Scratch sc = Scratch.forDim(p.headDim());
        double[] out = sc.outSum;
        boolean combine = p.heads() != HeadReduction.NONE;
        int first = units == 1 ? 0 : unit * p.groupSize(), count = units == 1 ? p.queryHeads() : p.groupSize();
        Arrays.fill(out, 0, width, 0);
        int loadedKv = -1;
        for (int h = first; h < first + count; h++) {
            if (keys > 0) {
                int kv = h / p.groupSize();
                if (kv != loadedKv) {
                    hp.kTiles().transposed(b, kv, j0, keys, sc.kT, KEYS, sc);
                    loadedKv = kv;
                }
                reduceHead(hp, kern, b, h, j0, keys, lenQ, lenK, lse, sc);
                for (int j = 0; j < keys; j++) out[j] += headValue(p, sc, j0 + j, j, lenQ, lenK);
            }
            if (!combine) {
                write(hp, b, h, j0, width, out);
                Arrays.fill(out, 0, width, 0);
            }
        }
        if (combine) {
            int divisor = p.headDivisor();
            if (divisor != 1) for (int j = 0; j < keys; j++) out[j] /= divisor;
            write(hp, b, p.outputHeadOf(first), j0, width, out);
        }
    }

    /** One query head's reduction over rows of columns [j0, j0 + keys), into sc.colSum or sc.colMax. */
    private static void reduceHead(HostProblem hp, Kernels kern, int b, int h, int j0, int keys, int lenQ, int lenK, float[] lse, Scratch sc) {
        ReduceProblem p = hp.p();
        Mask mask = p.mask();
        boolean max = p.reduction() == Reduction.MAX;
        if (max) Arrays.fill(sc.colMax, 0, keys, Float.NEGATIVE_INFINITY);
        else Arrays.fill(sc.colSum, 0, keys, 0);
        // rows that see some key of the block: both bounds grow with the key index
        long firstRow = mask.firstRow(j0, lenQ, lenK), lastRow = mask.lastRow(j0 + keys - 1, lenQ, lenK);
        int dim = p.headDim();
        for (long r0 = firstRow; r0 <= lastRow; r0 += ROWS) {
            int row0 = (int) r0, rows = (int) Math.min(ROWS, lastRow + 1 - r0);
            hp.qTiles().rows(b, h, row0, rows, p.scale(), sc.q, sc);
            kern.scores(sc.q, rows, sc.kT, keys, dim, sc.s);
            if (!max) Arrays.fill(sc.blockSum, 0, keys, 0f);
            int base = hp.rowIndex(b, h, row0);
            for (int i = 0; i < rows; i++) {
                int from = (int) Math.max(mask.firstKey(row0 + i, lenQ, lenK) - j0, 0);
                int to = (int) Math.min(mask.lastKey(row0 + i, lenQ, lenK) - j0 + 1, keys);
                if (from >= to) continue;
                int at = 2 * (base + i);
                if (max) kern.maxShifted(sc.s, i * KEYS, from, to, lse[at], lse[at + 1], sc.colMax);
                else kern.addExp(sc.s, i * KEYS, from, to, lse[at], lse[at + 1], sc.blockSum);
            }
            if (!max) for (int j = 0; j < keys; j++) sc.colSum[j] += sc.blockSum[j];
        }
    }

    /** The finished value of one head for column j (index jj in the block). */
    private static double headValue(ReduceProblem p, Scratch sc, int j, int jj, int lenQ, int lenK) {
        return switch (p.reduction()) {
            case SUM -> sc.colSum[jj];
            case MEAN -> {
                long n = p.mask().rowsSeeing(j, lenQ, lenK);
                yield n == 0 ? 0 : sc.colSum[jj] / n;
            }
            case MAX -> p.mask().rowsSeeing(j, lenQ, lenK) == 0 ? 0 : FastExp.exp(sc.colMax[jj]);
        };
    }

    /** out[b, o, j] = previous (zero-padded) + value, for the block's columns; out may be previous. */
    private static void write(HostProblem hp, int b, int o, int j0, int width, double[] values) {
        Tensor out = hp.out(), prev = hp.previous();
        long outAt = base(out, b, o), outStep = out.stride(out.rank() - 1);
        int prevLen = prev == null ? 0 : (int) prev.size(prev.rank() - 1);
        long prevAt = prev == null ? 0 : base(prev, b, o), prevStep = prev == null ? 0 : prev.stride(prev.rank() - 1);
        for (int jj = 0; jj < width; jj++) {
            int j = j0 + jj;
            double v = values[jj];
            if (j < prevLen) v += prev.getAt(prevAt + j * prevStep);
            out.setAt(outAt + j * outStep, (float) v);
        }
    }

    private static long base(Tensor t, int b, int o) {
        return t.rank() == 3 ? t.offset() + b * t.stride(0) + o * t.stride(1) : t.offset() + b * t.stride(0);
    }
}
