package org.colreduce.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.colreduce.DType;
import org.colreduce.Tensor;

/**
 * Reads tiles of one operand [B, H, rows, D] (any strides, any element type) into contiguous
 * float scratch: row-major for Q, transposed ([D][ld]) for K. Rows whose D elements are dense
 * are copied in bulk; F16 and BF16 are converted here, once per tile.
 */
final class TileReader {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final Tensor t;
    private final MemorySegment segment;
    private final DType dtype;
    private final long offset, strideB, strideH, strideRow, strideD;
    private final int dim;
    /** The heap array behind the segment, or null; then {@link #arrayBase} is the view's element 0 in it. */
    private final float[] floats;
    private final short[] shorts;
    private final long arrayBase;

    TileReader(Tensor t) {
        this.t = t;
        this.segment = t.segment();
        this.dtype = t.dtype();
        this.offset = t.offset();
        this.strideB = t.stride(0);
        this.strideH = t.stride(1);
        this.strideRow = t.stride(2);
        this.strideD = t.stride(3);
        this.dim = (int) t.size(3);
        Object base = segment.heapBase().orElse(null);
        // a heap segment's address is its byte offset within the array
        this.floats = base instanceof float[] f && dtype == DType.F32 ? f : null;
        this.shorts = base instanceof short[] s && dtype != DType.F32 ? s : null;
        this.arrayBase = segment.address() / dtype.byteSize();
    }

    /** dst[r·D + d] = scale · x[b, h, row0 + r, d] for r < rows. */
    void rows(int b, int h, int row0, int rows, float scale, float[] dst, Scratch scratch) {
        rows(b, h, row0, rows, scale, dst, 0, scratch);
    }

    /** dst[at + r·D + d] = scale · x[b, h, row0 + r, d] for r < rows. */
    void rows(int b, int h, int row0, int rows, float scale, float[] dst, int at, Scratch scratch) {
        for (int r = 0; r < rows; r++) {
            int to = at + r * dim;
            readRow(b, h, row0 + r, dst, to, scratch);
            if (scale != 1f) for (int d = to, e = to + dim; d < e; d++) dst[d] *= scale;
        }
    }

    /**
     * dst[d·ld + r] = x[b, h, row0 + r, d] for r < rows. Eight rows at a time, so each store
     * fills 8 consecutive floats of a line of dst (twice as fast as row by row here at D = 64–128).
     */
    void transposed(int b, int h, int row0, int rows, float[] dst, int ld, Scratch scratch) {
        boolean direct = floats != null && strideD == 1 && strideRow <= Integer.MAX_VALUE;
        float[] src = direct ? floats : scratch.rows8;
        int r = 0;
        for (; r + 8 <= rows; r += 8) {
            int s0, stride;
            if (direct) {
                s0 = (int) (arrayBase + element(b, h, row0 + r));
                stride = (int) strideRow;
            } else {
                for (int t = 0; t < 8; t++) readRow(b, h, row0 + r + t, src, t * dim, scratch);
                s0 = 0;
                stride = dim;
            }
            int s1 = s0 + stride, s2 = s1 + stride, s3 = s2 + stride, s4 = s3 + stride, s5 = s4 + stride, s6 = s5 + stride, s7 = s6 + stride;
            for (int d = 0, o = r; d < dim; d++, o += ld) {
                dst[o] = src[s0 + d];
                dst[o + 1] = src[s1 + d];
                dst[o + 2] = src[s2 + d];
                dst[o + 3] = src[s3 + d];
                dst[o + 4] = src[s4 + d];
                dst[o + 5] = src[s5 + d];
                dst[o + 6] = src[s6 + d];
                dst[o + 7] = src[s7 + d];
            }
        }
        float[] row = scratch.row;
        for (; r < rows; r++) {
            readRow(b, h, row0 + r, row, 0, scratch);
            for (int d = 0; d < dim; d++) dst[d * ld + r] = row[d];
        }
    }

    private long element(int b, int h, int row) { return offset + b * strideB + h * strideH + row * strideRow; }

    private void readRow(int b, int h, int row, float[] dst, int at, Scratch scratch) {
        long e = element(b, h, row);
        if (strideD == 1) {
            if (floats != null) {
                System.arraycopy(floats, (int) (arrayBase + e), dst, at, dim);
                return;
            }
            if (dtype == DType.F32) {
                MemorySegment.copy(segment, F32, e * 4, dst, at, dim);
                return;
            }
            short[] bits = shorts;
            int from = (int) (arrayBase + e);
            if (bits == null) {
                bits = scratch.bits;
                from = 0;
                MemorySegment.copy(segment, I16, e * 2, bits, 0, dim);
            }
            if (dtype == DType.F16) for (int d = 0; d < dim; d++) dst[at + d] = Float.float16ToFloat(bits[from + d]);
            else for (int d = 0; d < dim; d++) dst[at + d] = Float.intBitsToFloat((bits[from + d] & 0xFFFF) << 16);
            return;
        }
        for (int d = 0; d < dim; d++) dst[at + d] = t.getAt(e + d * strideD);
    }
}
