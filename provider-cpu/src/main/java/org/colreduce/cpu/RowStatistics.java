package org.colreduce.cpu;

import static org.colreduce.cpu.TileShape.KEYS;
import static org.colreduce.cpu.TileShape.ROW_BLOCK;
import static org.colreduce.cpu.TileShape.ROWS;

import org.colreduce.Mask;
import org.colreduce.spi.ReduceProblem;

/**
 * Pass 1: for each (batch, query head, row), lse = m + log Σ exp(s − m) over the keys the row
 * sees, with s = (scale·q)·k and m the running max (online softmax over key tiles). A row that
 * sees no key gets −∞, and the column pass never visits it. Softmax normalisations other than
 * exp (α-entmax, top-k) replace this pass and keep {@link ColumnPass}'s structure.
 */
final class RowStatistics {
    private RowStatistics() {}

    /** Row blocks of ROW_BLOCK rows, one task each. */
    static int blocksPerHead(ReduceProblem p) { return (p.queries() + ROW_BLOCK - 1) / ROW_BLOCK; }

    static int tasks(ReduceProblem p) { return p.batch() * p.queryHeads() * blocksPerHead(p); }

    /** Fills lse for task t's rows: [B, Hq, M] row-major, the layout of {@link HostProblem#rowIndex}. */
    static void run(HostProblem hp, Kernels kern, int task, float[] lse) {
        ReduceProblem p = hp.p();
        int perHead = blocksPerHead(p);
        int b = task / (p.queryHeads() * perHead), h = task / perHead % p.queryHeads(), row0 = task % perHead * ROW_BLOCK;
        int lenQ = p.queryLengths()[b], lenK = p.keyLengths()[b];
        int rows = Math.min(ROW_BLOCK, p.queries() - row0);
        int base = hp.rowIndex(b, h, row0);
        for (int i = 0; i < rows; i++) lse[base + i] = Float.NEGATIVE_INFINITY;
        rows = Math.min(rows, lenQ - row0); // rows ≥ lenQ see nothing
        if (rows <= 0) return;

        Mask mask = p.mask();
        int dim = p.headDim();
        Scratch sc = Scratch.forDim(dim);
        int lo = Integer.MAX_VALUE, hi = -1;
        for (int i = 0; i < rows; i++) {
            sc.firstKey[i] = (int) mask.firstKey(row0 + i, lenQ, lenK);
            sc.lastKey[i] = (int) mask.lastKey(row0 + i, lenQ, lenK);
            if (sc.firstKey[i] <= sc.lastKey[i]) {
                lo = Math.min(lo, sc.firstKey[i]);
                hi = Math.max(hi, sc.lastKey[i]);
            }
            sc.rowMax[i] = Float.NEGATIVE_INFINITY;
            sc.rowSum[i] = 0;
        }
        if (hi < 0) return;

        hp.qTiles().rows(b, h, row0, rows, p.scale(), sc.q, sc);
        int kvHead = h / p.groupSize();
        for (int j0 = lo; j0 <= hi; j0 += KEYS) {
            int keys = Math.min(KEYS, hi + 1 - j0);
            hp.kTiles().transposed(b, kvHead, j0, keys, sc.kT, KEYS, sc);
            for (int t0 = 0; t0 < rows; t0 += ROWS) {
                // skip score tiles whose rows see none of these keys (causal: above the diagonal)
                int tileRows = Math.min(ROWS, rows - t0);
                if (sc.lastKey[t0 + tileRows - 1] < j0 || sc.firstKey[t0] >= j0 + keys) continue;
                kern.scores(sc.q, t0 * dim, tileRows, sc.kT, keys, dim, sc.s);
                for (int i = 0; i < tileRows; i++) {
                    int r = t0 + i;
                    int from = Math.max(sc.firstKey[r], j0) - j0, to = Math.min(sc.lastKey[r], j0 + keys - 1) - j0 + 1;
                    if (from >= to) continue;
                    int at = i * KEYS;
                    float m = Math.max(sc.rowMax[r], kern.max(sc.s, at + from, at + to));
                    // rescale the running sum to the new max; exp(−∞) = 0 covers the first tile
                    sc.rowSum[r] = sc.rowSum[r] * FastExp.exp(sc.rowMax[r] - m) + kern.sumExp(sc.s, at + from, at + to, m, sc.lanes);
                    sc.rowMax[r] = m;
                }
            }
        }
        for (int i = 0; i < rows; i++)
            if (sc.firstKey[i] <= sc.lastKey[i]) lse[base + i] = (float) (sc.rowMax[i] + StrictMath.log(sc.rowSum[i]));
    }
}
