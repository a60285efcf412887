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
 * over K and V gives both O and the columns, as p = exp(s − lse) is already normalised: O = Σ p·v
 * needs no final division, and p is the very value the columns reduce.
 * <p>
 * A task owns a chunk of consecutive row tiles of one (batch, KV head), its query heads' rows
 * packed one after the other as in {@link RowStatistics} (a decode step's heads share each K and
 * V tile). It reads each K and V tile once per {@link #GROUP} row tiles (loading them for every
 * row tile cost about a third of the pass), and per row tile computes the scores, p, p·V into
 * the rows' outputs, and p into its head's column partials. Then {@link #combine} adds the chunks (in order) and the heads (in
 * order), adds {@code previous} and writes the scores. The chunking is a function of the problem
 * alone, never of the thread count, and every sum has a fixed order (SPEC §8.1). Memory: the
 * column partials, B·Hq·chunks·N floats with B·Hkv·chunks < B·Hkv + {@link #TARGET_TASKS}; never
 * anything of size M·N.
 * <p>
 * Sums go in two levels, as in {@link ColumnPass}: O in float within a key tile, then in double
 * across tiles; a column in float within a row tile, then across row tiles and chunks.
 */
final class AttentionPass {
    /** Row tiles that share each K and V tile they read: fewer tile loads, at GROUP·ROWS·Dv doubles of O in flight. */
    static final int GROUP = Math.min(4, TileShape.ROW_BLOCK / ROWS); // Scratch holds ROW_BLOCK rows of Q
    /** How many tasks the chunking aims for: a KV head's rows split into several chunks only when B·Hkv is below it. */
    static final int TARGET_TASKS = 64;
    /** Any thread but the caller's, to ask whether a segment is confined. */
    private static final Thread WORKER = new Thread(() -> {});

    private final ReduceProblem p;
    private final HostProblem hp;
    private final Tensor output, v;
    private final TileReader vTiles;
    private final int valueDim, rowTiles, tilesPerChunk, chunks;
    /** Per (b, query head, chunk) column sums or maxima, [B, Hq, chunks, N]; a chunk holds packed rows of the heads of one KV head. */
    private final float[] partial;

    AttentionPass(AttendProblem a, HostProblem hp) {
        this.p = a.scores();
        this.hp = hp;
        this.output = HostProblem.host(a.output());
        this.v = HostProblem.host(a.v());
        this.vTiles = new TileReader(v);
        this.valueDim = a.valueDim();
        this.rowTiles = Math.toIntExact(((long) p.groupSize() * p.queries() + ROWS - 1) / ROWS);
        int groups = p.batch() * p.kvHeads();
        int wanted = Math.clamp((TARGET_TASKS + groups - 1) / groups, 1, rowTiles);
        this.tilesPerChunk = (rowTiles + wanted - 1) / wanted;
        this.chunks = (rowTiles + tilesPerChunk - 1) / tilesPerChunk;
        this.partial = new float[Math.multiplyExact(Math.multiplyExact(p.batch() * p.queryHeads(), chunks), p.keys())];
    }

    /** Whether worker threads may touch every operand (none lives in a confined arena). */
    boolean shareable() {
        return hp.shareable() && output.segment().isAccessibleBy(WORKER) && v.segment().isAccessibleBy(WORKER);
    }

    /** Tasks of {@link #run}: (b, KV head, chunk). */
    int tasks() { return p.batch() * p.kvHeads() * chunks; }

    /** Tasks of {@link #combine}: (b, output head, key block). */
    int combineTasks() { return p.batch() * p.outputHeads() * ColumnPass.blocks(p); }

    /** O for the rows of one chunk, and the chunk's column partials. */
    void run(Kernels kern, int task, float[] lse) {
        int b = task / (p.kvHeads() * chunks), kv = task / chunks % p.kvHeads(), chunk = task % chunks;
        int first = chunk * tilesPerChunk, end = Math.min(rowTiles, first + tilesPerChunk);
        for (int tile = first; tile < end; tile += GROUP) runGroup(kern, b, kv, chunk, tile, Math.min(GROUP, end - tile), lse);
    }

    /**
     * A group of row tiles that share every K and V tile they read: per key tile, the scores of
     * each row tile, p, the columns and p·V; O in double across key tiles, written at the end.
     * Rows are packed as in {@link RowStatistics}: packed row g·M + i is row i of the group's
     * query head g, so a decode step's heads of one KV head share its K and V tiles too.
     */
    private void runGroup(Kernels kern, int b, int kv, int chunk, int tile0, int tiles, float[] lse) {
        ValueKernels values = ValueKernels.matching(kern);
        int m = p.queries(), dim = p.headDim(), dv = valueDim, firstHead = kv * p.groupSize();
        int lenQ = p.queryLengths()[b], lenK = p.keyLengths()[b];
        Mask mask = p.mask();
        boolean max = p.reduction() == Reduction.MAX;
        Scratch sc = Scratch.forDim(Math.max(dim, dv));
        Tiles t = Tiles.forDim(dv);
        long p0 = (long) tile0 * ROWS;
        int rows = (int) Math.min((long) tiles * ROWS, (long) p.groupSize() * m - p0);
        int base = hp.rowIndex(b, firstHead, 0) + (int) p0; // packed rows are consecutive in lse

        // the keys each row sees (none for a row with lse = −∞: beyond lenQ, or masked out), and each tile's span
        int lo = Integer.MAX_VALUE, hi = -1;
        for (int tt = 0; tt < tiles; tt++) { t.tileLo[tt] = Integer.MAX_VALUE; t.tileHi[tt] = -1; }
        for (int r = 0; r < rows; r++) {
            int row = (int) ((p0 + r) % m);
            boolean sees = lse[2 * (base + r)] != Float.NEGATIVE_INFINITY;
            sc.firstKey[r] = sees ? (int) mask.firstKey(row, lenQ, lenK) : 0;
            sc.lastKey[r] = sees ? (int) mask.lastKey(row, lenQ, lenK) : -1;
            if (sc.firstKey[r] > sc.lastKey[r]) continue;
            int tt = r / ROWS;
            t.tileLo[tt] = Math.min(t.tileLo[tt], sc.firstKey[r]);
            t.tileHi[tt] = Math.max(t.tileHi[tt], sc.lastKey[r]);
            lo = Math.min(lo, sc.firstKey[r]);
            hi = Math.max(hi, sc.lastKey[r]);
        }
        Arrays.fill(t.out, 0, rows * dv, 0);
        if (hi >= 0) {
            for (int r = 0; r < rows; ) { // Q rows, one run of consecutive rows per head
                long packed = p0 + r;
                int head = firstHead + (int) (packed / m), row = (int) (packed % m), run = Math.min(rows - r, m - row);
                hp.qTiles().rows(b, head, row, run, p.scale(), sc.q, r * dim, sc);
                r += run;
            }
        }
        for (int j0 = lo; j0 <= hi; j0 += KEYS) {
            int keys = Math.min(KEYS, hi + 1 - j0);
            hp.kTiles().transposed(b, kv, j0, keys, sc.kT, KEYS, sc);
            vTiles.rows(b, kv, j0, keys, 1f, t.v, sc);
            for (int tt = 0; tt < tiles; tt++) {
                if (t.tileHi[tt] < j0 || t.tileLo[tt] >= j0 + keys) continue; // e.g. above a causal diagonal
                int r0 = tt * ROWS, tileRows = Math.min(ROWS, rows - r0);
                kern.scores(sc.q, r0 * dim, tileRows, sc.kT, keys, dim, sc.s);
                int head = -1; // the head whose rows sc.blockSum holds
                for (int i = 0; i < tileRows; i++) {
                    int r = r0 + i, rowHead = firstHead + (int) ((p0 + r) / m);
                    int from = Math.max(sc.firstKey[r], j0) - j0, to = Math.min(sc.lastKey[r], j0 + keys - 1) - j0 + 1;
                    if (from >= to) from = to = 0;
                    t.from[i] = from;
                    t.to[i] = to;
                    if (from == to) continue;
                    int col = columns(b, rowHead, chunk) + j0;
                    float[] pr = t.p[i];
                    Arrays.fill(pr, from, to, 0f);
                    kern.addExp(sc.s, i * KEYS, from, to, lse[2 * (base + r)], lse[2 * (base + r) + 1], pr);
                    if (max) {
                        for (int j = from; j < to; j++) partial[col + j] = Math.max(partial[col + j], pr[j]);
                        continue;
                    }
                    if (rowHead != head) { // a new head's rows: its column sums start afresh
                        if (head >= 0) flush(sc.blockSum, keys, columns(b, head, chunk) + j0);
                        Arrays.fill(sc.blockSum, 0, keys, 0f);
                        head = rowHead;
                    }
                    for (int j = from; j < to; j++) sc.blockSum[j] += pr[j];
                }
                if (head >= 0) flush(sc.blockSum, keys, columns(b, head, chunk) + j0);
                values.weightedRows(t.p, tileRows, t.from, t.to, t.v, dv, t.acc);
                for (int x = 0, o = r0 * dv, e = tileRows * dv; x < e; x++) t.out[o + x] += t.acc[x];
            }
        }
        for (int r = 0; r < rows; ) { // O rows, one run per head
            long packed = p0 + r;
            int head = firstHead + (int) (packed / m), row = (int) (packed % m), run = Math.min(rows - r, m - row);
            writeRows(b, head, row, run, t.out, r * dv);
            r += run;
        }
    }

    /** Where the column partials of (b, query head, chunk) start. */
    private int columns(int b, int head, int chunk) { return ((b * p.queryHeads() + head) * chunks + chunk) * p.keys(); }

    private void flush(float[] blockSum, int keys, int at) {
        for (int j = 0; j < keys; j++) partial[at + j] += blockSum[j];
    }

    private void writeRows(int b, int h, int row0, int rows, double[] values, int from) {
        long at = output.offset() + b * output.stride(0) + h * output.stride(1) + row0 * output.stride(2);
        long rowStep = output.stride(2), step = output.stride(3);
        for (int i = 0; i < rows; i++, at += rowStep)
            for (int c = 0; c < valueDim; c++) {
                double o = values[from + i * valueDim + c];
                output.setAt(at + c * step, Double.isInfinite(o) ? Float.NaN : (float) o);   // SPEC 7.3: only an infinite V gets here
            }
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
