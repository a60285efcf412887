package org.colreduce.cpu;

/**
 * The tile shapes, named once. A score tile is {@link #ROWS} query rows × {@link #KEYS} keys,
 * stored row-major with a leading dimension of KEYS; K tiles are stored transposed, [D][KEYS],
 * so the inner loop reads one vector of keys per head-dimension step.
 */
final class TileShape {
    /** Query rows per tile: a multiple of {@link #ROW_STEP}. */
    static final int ROWS = 32;
    /** Query rows of one row-statistics task: several score tiles share each K tile it reads. */
    static final int ROW_BLOCK = 8 * ROWS;
    /** Keys per tile, and the key block a column-pass task owns: a multiple of two vectors of any species up to 2048 bits. */
    static final int KEYS = 128;
    /** Query rows of one register tile of the score kernel. */
    static final int ROW_STEP = 8;

    private TileShape() {}
}
