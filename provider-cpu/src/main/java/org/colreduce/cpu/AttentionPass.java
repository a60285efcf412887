package org.colreduce.cpu;

import static org.colreduce.cpu.TileShape.KEYS;
import static org.colreduce.cpu.TileShape.ROWS;

import java.util.Arrays;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.ReduceProblem;

/**
 * {@code attend} (SPEC §11) after {@link RowStatistics}: with every row's lse known, one pass
 * over K and V per row tile gives both O and the columns, as p = exp(s − lse) is already
 * normalised: O = Σ p·v needs no final division, and p is the very value the columns reduce.
 * <p>
 * A task owns a chunk of consecutive row tiles of one (batch, query head). It streams the K and
 * V tiles its rows see once per {@link #GROUP} row tiles (the loads cost about a third of the
 * pass when every row tile loads its own): per row tile, scores, p, p·V into the rows' outputs,
 * and p into the chunk's column partials. Then {@link #combine} adds the chunks (in order) and the heads (in
 * order), adds {@code previous} and writes the scores. The chunking is a function of the problem
 * alone, never of the thread count, and every sum has a fixed order (SPEC §8.1). Memory: the
 * column partials, B·Hq·chunks·N floats with chunks·B·Hq ≤ max(B·Hq, {@link #TARGET_TASKS}),
 * never anything of size M·N.
 * <p>
 * Sums go in two levels, as in {@link ColumnPass}: O in float within a key tile, then in double
 * across tiles; a column in float within a row tile, then across row tiles and chunks.
 */
final class AttentionPass {
    /** Row tiles that share each K and V tile they read: fewer tile loads, at GROUP·ROWS·Dv doubles of O in flight. */
    static final int GROUP = Math.min(4, TileShape.ROW_BLOCK / ROWS); // Scratch holds ROW_BLOCK rows of Q
    /** How many tasks the chunking aims for: a head's rows split into several chunks only when B·Hq is below it. */
    static final int TARGET_TASKS = 64;

    private final ReduceProblem p;
    private final HostProblem hp;
    private final Tensor output, v;
    private final TileReader vTiles;
    private final int valueDim, rowTiles, tilesPerChunk, chunks;
    /** Per (b, query head, chunk) column sums or maxima, [B, Hq, chunks, N]. */
    private final float[] partial;

    AttentionPass(AttendProblem a, HostProblem hp) {
        this.p = a.scores();
        this.hp = hp;
        this.output = HostProblem.host(a.output());
        this.v = HostProblem.host(a.v());
        this.vTiles = new TileReader(v);
        this.valueDim = a.valueDim();
        this.rowTiles = (p.queries() + ROWS - 1) / ROWS;
        int heads = p.batch() * p.queryHeads();
        int wanted = Math.clamp((TARGET_TASKS + heads - 1) / heads, 1, rowTiles);
        this.tilesPerChunk = (rowTiles + wanted - 1) / wanted;
        this.chunks = (rowTiles + tilesPerChunk - 1) / tilesPerChunk;
        this.partial = new float[Math.multiplyExact(Math.multiplyExact(heads, chunks), p.keys())];
    }

    /** Whether worker threads may touch every operand (none lives in a confined arena). */
    boolean shareable() {
        return hp.shareable() && output.segment().isAccessibleBy(WORKER) && v.segment().isAccessibleBy(WORKER);
    }

    /** Any thread but the caller's, to ask whether a segment is confined. */
    private static final Thread WORKER = new Thread(() -> {});

    /** Tasks of {@link #run}: (b, query head, chunk). */
    int tasks() { return p.batch() * p.queryHeads() * chunks; }

    /** Tasks of {@link #combine}: (b, output head, key block). */
    int combineTasks() { return p.batch() * p.outputHeads() * ColumnPass.blocks(p); }

    /** O for the rows of one chunk, and the chunk's column partials. */
    void run(Kernels kern, int task, float[] lse) {
        int b = task / (p.queryHeads() * chunks), h = task / chunks % p.queryHeads(), chunk = task % chunks;
        int first = chunk * tilesPerChunk, end = Math.min(rowTiles, first + tilesPerChunk);
        for (int tile = first; tile < end; tile += GROUP) runGroup(kern, b, h, chunk, tile, Math.min(GROUP, end - tile), lse);
    }

    /**
     * A group of row tiles that share every K and V tile they read: per key tile, the scores of
     * each row tile, p, the columns and p·V; O in double across key tiles, written at the end.
     */
    private void runGroup(Kernels kern, int b, int h, int chunk, int tile0, int tiles, float[] lse) {
        ValueKernels values = ValueKernels.matching(kern);
        int kv = h / p.groupSize(), dim = p.headDim(), dv = valueDim;
        int lenQ = p.queryLengths()[b], lenK = p.keyLengths()[b];
        Mask mask = p.mask();
        boolean max = p.reduction() == Reduction.MAX;
        Scratch sc = Scratch.forDim(Math.max(dim, dv));
        Tiles t = Tiles.forDim(dv);
        int colBase = ((b * p.queryHeads() + h) * chunks + chunk) * p.keys();
        int row0 = tile0 * ROWS, rows = Math.min(tiles * ROWS, p.queries() - row0);
        int base = hp.rowIndex(b, h, row0);

        // the keys each row sees (none for a row with lse = −∞: beyond lenQ, or masked out), and each tile's span
        int lo = Integer.MAX_VALUE, hi = -1;
        for (int tt = 0; tt < tiles; tt++) { t.tileLo[tt] = Integer.MAX_VALUE; t.tileHi[tt] = -1; }
        for (int i = 0; i < rows; i++) {
            boolean sees = lse[base + i] != Float.NEGATIVE_INFINITY;
            sc.firstKey[i] = sees ? (int) mask.firstKey(row0 + i, lenQ, lenK) : 0;
            sc.lastKey[i] = sees ? (int) mask.lastKey(row0 + i, lenQ, lenK) : -1;
            if (sc.firstKey[i] > sc.lastKey[i]) continue;
            int tt = i / ROWS;
            t.tileLo[tt] = Math.min(t.tileLo[tt], sc.firstKey[i]);
            t.tileHi[tt] = Math.max(t.tileHi[tt], sc.lastKey[i]);
            lo = Math.min(lo, sc.firstKey[i]);
            hi = Math.max(hi, sc.lastKey[i]);
        }
        Arrays.fill(t.out, 0, rows * dv, 0);
        if (hi >= 0) hp.qTiles().rows(b, h, row0, rows, p.scale(), sc.q, sc);
        for (int j0 = lo; j0 <= hi; j0 += KEYS) {
            int keys = Math.min(KEYS, hi + 1 - j0);
            hp.kTiles().transposed(b, kv, j0, keys, sc.kT, KEYS, sc);
            vTiles.rows(b, kv, j0, keys, 1f, t.v, sc);
            for (int tt = 0; tt < tiles; tt++) {
                if (t.tileHi[tt] < j0 || t.tileLo[tt] >= j0 + keys) continue; // e.g. above a causal diagonal
                int r0 = tt * ROWS, tileRows = Math.min(ROWS, rows - r0);
                kern.scores(sc.q, r0 * dim, tileRows, sc.kT, keys, dim, sc.s);
                if (!max) Arrays.fill(sc.blockSum, 0, keys, 0f);
                for (int i = 0; i < tileRows; i++) {
                    int r = r0 + i;
                    int from = Math.max(sc.firstKey[r], j0) - j0, to = Math.min(sc.lastKey[r], j0 + keys - 1) - j0 + 1;
                    if (from >= to) from = to = 0;
                    t.from[i] = from;
                    t.to[i] = to;
                    if (from == to) continue;
                    float[] pr = t.p[i];
                    Arrays.fill(pr, from, to, 0f);
                    kern.addExp(sc.s, i * KEYS, from, to, lse[base + r], pr);
                    if (max) {
                        for (int j = from; j < to; j++) partial[colBase + j0 + j] = Math.max(partial[colBase + j0 + j], pr[j]);
                    } else {
                        for (int j = from; j < to; j++) sc.blockSum[j] += pr[j];
                    }
                }
                if (!max) for (int j = 0; j < keys; j++) partial[colBase + j0 + j] += sc.blockSum[j];
                values.weightedRows(t.p, tileRows, t.from, t.to, t.v, dv, t.acc);
                for (int x = 0, o = r0 * dv, e = tileRows * dv; x < e; x++) t.out[o + x] += t.acc[x];
            }
        }
        writeRows(b, h, row0, rows, t.out);
    }

    private void writeRows(int b, int h, int row0, int rows, double[] values) {
        long at = output.offset() + b * output.stride(0) + h * output.stride(1) + row0 * output.stride(2);
        long rowStep = output.stride(2), step = output.stride(3);
        for (int i = 0; i < rows; i++, at += rowStep)
            for (int c = 0; c < valueDim; c++) output.setAt(at + c * step, (float) values[i * valueDim + c]);
    }

    /** The scores of one key block of one output head: chunks in order, heads in order, then previous. */
    void combine(int task) {
        int blocks = ColumnPass.blocks(p);
        int b = task / (p.outputHeads() * blocks), o = task / blocks % p.outputHeads(), j0 = task % blocks * KEYS;
        int width = Math.min(KEYS, p.keys() - j0);
        int lenQ = p.queryLengths()[b], lenK = p.keyLengths()[b];
        int firstHead = switch (p.heads()) {
            case NONE -> o;
            case SUM, MEAN -> 0;
            case GROUP_SUM, GROUP_MEAN -> o * p.groupSize();
        };
        int headCount = switch (p.heads()) {
            case NONE -> 1;
            case SUM, MEAN -> p.queryHeads();
            case GROUP_SUM, GROUP_MEAN -> p.groupSize();
        };
        Tensor out = hp.out(), prev = hp.previous();
        long outAt = rowBase(out, b, o), outStep = out.stride(out.rank() - 1);
        int prevLen = p.previousLength();
        long prevAt = prev == null ? 0 : rowBase(prev, b, o), prevStep = prev == null ? 0 : prev.stride(prev.rank() - 1);
        for (int j = j0; j < j0 + width; j++) {
            long seeing = p.mask().rowsSeeing(j, lenQ, lenK);
            double total = 0;
            for (int h = firstHead; h < firstHead + headCount; h++) {
                int at = (b * p.queryHeads() + h) * chunks * p.keys() + j;
                double head = 0;
                for (int c = 0; c < chunks; c++, at += p.keys())
                    head = p.reduction() == Reduction.MAX ? Math.max(head, partial[at]) : head + partial[at];
                if (p.reduction() == Reduction.MEAN) head = seeing == 0 ? 0 : head / seeing;
                total += head;
            }
            total /= p.headDivisor();
            if (j < prevLen) total += prev.getAt(prevAt + j * prevStep);
            out.setAt(outAt + j * outStep, (float) total);
        }
    }

    private static long rowBase(Tensor t, int b, int o) {
        return t.rank() == 3 ? t.offset() + b * t.stride(0) + o * t.stride(1) : t.offset() + b * t.stride(0);
    }

    /** One worker thread's V tile, probabilities and output accumulators, grown to the largest Dv seen. */
    private static final class Tiles {
        private static final ThreadLocal<Tiles> PER_THREAD = new ThreadLocal<>();
        final int dv;
        /** V tile, row-major [KEYS][Dv]. */
        final float[] v;
        /** p of the tile, [ROWS][KEYS], valid in each row's [from, to). */
        final float[][] p = new float[ROWS][KEYS];
        final int[] from = new int[ROWS], to = new int[ROWS];
        /** p·V of the tile, [ROWS][Dv]. */
        final float[] acc;
        /** O of a group of row tiles, [GROUP·ROWS][Dv], summed over key tiles. */
        final double[] out;
        /** The keys each row tile of a group sees: [tileLo, tileHi]. */
        final int[] tileLo = new int[GROUP], tileHi = new int[GROUP];

        private Tiles(int dv) {
            this.dv = dv;
            this.v = new float[KEYS * dv];
            this.acc = new float[ROWS * dv];
            this.out = new double[GROUP * ROWS * dv];
        }

        static Tiles forDim(int dv) {
            Tiles t = PER_THREAD.get();
            if (t == null || t.dv < dv) {
                t = new Tiles(Math.max(dv, 64));
                PER_THREAD.set(t);
            }
            return t;
        }
    }
}
