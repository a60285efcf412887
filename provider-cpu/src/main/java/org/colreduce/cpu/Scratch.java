package org.colreduce.cpu;

import static org.colreduce.cpu.TileShape.KEYS;
import static org.colreduce.cpu.TileShape.ROW_BLOCK;
import static org.colreduce.cpu.TileShape.ROWS;

/**
 * One worker thread's tiles, O(ROWS·D + D·KEYS + ROWS·KEYS) floats: never anything of size M·N.
 * Held per thread and grown to the largest D seen.
 */
final class Scratch {
    private static final ThreadLocal<Scratch> PER_THREAD = new ThreadLocal<>();

    final int dim;
    /** Q rows, row-major [ROW_BLOCK][D], scale folded in. */
    final float[] q;
    /** K tile, transposed [D][KEYS]. */
    final float[] kT;
    /** Score tile [ROWS][KEYS]. */
    final float[] s;
    /** One row being read, and its 16-bit elements. */
    final float[] row;
    final short[] bits;
    /** Per-column accumulators of a key block. */
    final float[] blockSum = new float[KEYS], colMax = new float[KEYS];
    final double[] colSum = new double[KEYS], outSum = new double[KEYS];
    /** Per-row running statistics of a row block. */
    final float[] rowMax = new float[ROW_BLOCK];
    final double[] rowSum = new double[ROW_BLOCK];
    final int[] firstKey = new int[ROW_BLOCK], lastKey = new int[ROW_BLOCK];
    /** The lanes of one vector. */
    final float[] lanes = new float[Kernels.LANES_MAX];

    private Scratch(int dim) {
        this.dim = dim;
        this.q = new float[ROW_BLOCK * dim];
        this.kT = new float[dim * KEYS];
        this.s = new float[ROWS * KEYS];
        this.row = new float[dim];
        this.bits = new short[dim];
    }

    /** This thread's scratch, for head dimensions up to {@code dim}. */
    static Scratch forDim(int dim) {
        Scratch s = PER_THREAD.get();
        if (s == null || s.dim < dim) {
            s = new Scratch(Math.max(dim, 64));
            PER_THREAD.set(s);
        }
        return s;
    }
}
