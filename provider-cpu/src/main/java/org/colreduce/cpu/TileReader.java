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
        for (int r = 0; r < rows; r++) {
            readRow(b, h, row0 + r, dst, r * dim, scratch);
            if (scale != 1f) for (int d = r * dim, e = d + dim; d < e; d++) dst[d] *= scale;
        }
    }

    /** dst[d·ld + r] = x[b, h, row0 + r, d] for r < rows. */
    void transposed(int b, int h, int row0, int rows, float[] dst, int ld, Scratch scratch) {
        if (floats != null && strideD == 1) {
            long first = arrayBase + element(b, h, row0);
            for (int r = 0; r < rows; r++) {
                int src = (int) (first + r * strideRow);
                for (int d = 0; d < dim; d++) dst[d * ld + r] = floats[src + d];
            }
            return;
        }
        float[] row = scratch.row;
        for (int r = 0; r < rows; r++) {
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
