package org.colreduce.cpu;

import static org.colreduce.cpu.TileShape.KEYS;
import static org.colreduce.cpu.TileShape.ROW_BLOCK;
import static org.colreduce.cpu.TileShape.ROWS;

import org.colreduce.Mask;
import org.colreduce.spi.ReduceProblem;

/**
 * Pass 1: for each (batch, query head, row), (m, log Σ exp(s − m)) over the keys the row sees,
 * with s = (scale·q)·k and m the running max (online softmax over key tiles), kept as two floats:
 * one float m + log l would round by up to half an ulp of m, which near |s| ~ 1e5 scales the
 * row's P by e^±0.004 (SPEC 7.2; CUDA and Vulkan keep the pair too). A row that sees no key gets
 * m = −∞, and the column pass never visits it. Softmax normalisations other than
 * exp (α-entmax, top-k) replace this pass and keep {@link ColumnPass}'s structure.
 * <p>
 * The query heads that share a KV head are packed into one row dimension, packed row
 * p = g·M + i for head g of the group and row i, so a task reads and transposes each K tile once
 * for all of them: a decode step (M = 1) with 4 query heads per KV head reads K once, not 4 times.
 * Packed rows are consecutive in the [B, Hq, M, 2] lse array.
 */
final class RowStatistics {
    private RowStatistics() {}

    /** Blocks of ROW_BLOCK packed rows per (batch, KV head), one task each. */
    static int blocksPerGroup(ReduceProblem p) {
        long packed = (long) p.groupSize() * p.queries();
        return (int) ((packed + ROW_BLOCK - 1) / ROW_BLOCK);
    }

    static int tasks(ReduceProblem p) { return Math.multiplyExact(p.batch() * p.kvHeads(), blocksPerGroup(p)); }

    /** Fills lse for task t's rows: (m, log l) at 2·{@link HostProblem#rowIndex}, [B, Hq, M, 2] row-major. */
    static void run(HostProblem hp, Kernels kern, int task, float[] lse) {
        ReduceProblem p = hp.p();
        int perGroup = blocksPerGroup(p), m = p.queries();
        int b = task / (p.kvHeads() * perGroup), kv = task / perGroup % p.kvHeads();
        long p0 = (long) (task % perGroup) * ROW_BLOCK;
        int rows = (int) Math.min(ROW_BLOCK, (long) p.groupSize() * m - p0);
        int lenQ = p.queryLengths()[b], lenK = p.keyLengths()[b];
        int firstHead = kv * p.groupSize();
        int base = hp.rowIndex(b, firstHead, 0) + (int) p0;

        Mask mask = p.mask();
        int dim = p.headDim();
        Scratch sc = Scratch.forDim(dim);
        int lo = Integer.MAX_VALUE, hi = -1;
        for (int r = 0; r < rows; r++) {
            int row = (int) ((p0 + r) % m);
            lse[2 * (base + r)] = Float.NEGATIVE_INFINITY;
            lse[2 * (base + r) + 1] = 0f;
            boolean sees = row < lenQ; // rows ≥ lenQ see nothing
            sc.firstKey[r] = sees ? (int) mask.firstKey(row, lenQ, lenK) : 0;
            sc.lastKey[r] = sees ? (int) mask.lastKey(row, lenQ, lenK) : -1;
            if (sc.firstKey[r] <= sc.lastKey[r]) {
                lo = Math.min(lo, sc.firstKey[r]);
                hi = Math.max(hi, sc.lastKey[r]);
            }
            sc.rowMax[r] = Float.NEGATIVE_INFINITY;
            sc.rowSum[r] = 0;
        }
        if (hi < 0) return;

        // Q rows, one run of consecutive rows per head
        for (int r = 0; r < rows; ) {
            long packed = p0 + r;
            int head = firstHead + (int) (packed / m), row = (int) (packed % m), run = Math.min(rows - r, m - row);
            hp.qTiles().rows(b, head, row, run, p.scale(), sc.q, r * dim, sc);
            r += run;
        }
        for (int j0 = lo; j0 <= hi; j0 += KEYS) {
            int keys = Math.min(KEYS, hi + 1 - j0);
            hp.kTiles().transposed(b, kv, j0, keys, sc.kT, KEYS, sc);
            for (int t0 = 0; t0 < rows; t0 += ROWS) {
                int tileRows = Math.min(ROWS, rows - t0);
                if (!seesAny(sc, t0, tileRows, j0, j0 + keys - 1)) continue; // causal: above the diagonal
                kern.scores(sc.q, t0 * dim, tileRows, sc.kT, keys, dim, sc.s);
                for (int i = 0; i < tileRows; i++) {
                    int r = t0 + i;
                    int from = Math.max(sc.firstKey[r], j0) - j0, to = Math.min(sc.lastKey[r], j0 + keys - 1) - j0 + 1;
                    if (from >= to) continue;
                    int at = i * KEYS;
                    float mx = Math.max(sc.rowMax[r], kern.max(sc.s, at + from, at + to));
                    // rescale the running sum to the new max; exp(−∞) = 0 covers the first tile
                    sc.rowSum[r] = sc.rowSum[r] * FastExp.exp(sc.rowMax[r] - mx) + kern.sumExp(sc.s, at + from, at + to, mx, sc.lanes);
                    sc.rowMax[r] = mx;
                }
            }
        }
        for (int r = 0; r < rows; r++)
            if (sc.firstKey[r] <= sc.lastKey[r]) {
                lse[2 * (base + r)] = sc.rowMax[r];
                lse[2 * (base + r) + 1] = (float) StrictMath.log(sc.rowSum[r]);
            }
    }

    /** Whether a row of tile [t0, t0 + rows) sees a key of [first, last]. */
    private static boolean seesAny(Scratch sc, int t0, int rows, int first, int last) {
        for (int r = t0; r < t0 + rows; r++)
            if (sc.firstKey[r] <= last && sc.lastKey[r] >= first && sc.firstKey[r] <= sc.lastKey[r]) return true;
        return false;
    }
}
