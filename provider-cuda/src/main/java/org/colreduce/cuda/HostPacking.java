package org.colreduce.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.colreduce.Tensor;

/**
 * Moves strided host views to and from dense staging memory: rows of the last dimension are
 * laid one after another, each padded with zeros up to {@code ld} elements (the kernels' padded
 * head dimension). A contiguous view with {@code ld} equal to its last extent is one copy.
 */
final class HostPacking {
    private HostPacking() {}

    /** Bytes {@link #pack} writes. */
    static long packedBytes(Tensor t, long ld) {
        long rows = t.elementCount() / Math.max(1, t.size(t.rank() - 1));
        return rows * ld * t.dtype().byteSize();
    }

    static void pack(Tensor t, MemorySegment dst, long ld) {
        int es = t.dtype().byteSize(), r = t.rank();
        long last = t.size(r - 1);
        if (t.elementCount() == 0) return;
        if (t.isContiguous() && ld == last) {
            MemorySegment.copy(t.segment(), t.offset() * es, dst, 0, t.elementCount() * es);
            return;
        }
        long rows = t.elementCount() / last;
        long[] idx = new long[r];
        long lastStride = t.stride(r - 1);
        for (long row = 0; row < rows; row++) {
            long src = t.index(idx), out = row * ld * es;
            if (lastStride == 1) {
                MemorySegment.copy(t.segment(), src * es, dst, out, last * es);
            } else {
                for (long x = 0; x < last; x++) copyElement(t.segment(), (src + x * lastStride) * es, dst, out + x * es, es);
            }
            if (ld > last) dst.asSlice(out + last * es, (ld - last) * es).fill((byte) 0);
            advance(idx, t, r - 2);
        }
    }

    /** Writes dense rows (ld elements each, the first extent(last) used) into a strided view. */
    static void unpack(MemorySegment src, Tensor t, long ld) {
        int es = t.dtype().byteSize(), r = t.rank();
        long last = t.size(r - 1);
        if (t.elementCount() == 0) return;
        if (t.isContiguous() && ld == last) {
            MemorySegment.copy(src, 0, t.segment(), t.offset() * es, t.elementCount() * es);
            return;
        }
        long rows = t.elementCount() / last;
        long[] idx = new long[r];
        long lastStride = t.stride(r - 1);
        for (long row = 0; row < rows; row++) {
            long dst = t.index(idx), in = row * ld * es;
            if (lastStride == 1) {
                MemorySegment.copy(src, in, t.segment(), dst * es, last * es);
            } else {
                for (long x = 0; x < last; x++) copyElement(src, in + x * es, t.segment(), (dst + x * lastStride) * es, es);
            }
            advance(idx, t, r - 2);
        }
    }

    private static void copyElement(MemorySegment from, long fromByte, MemorySegment to, long toByte, int es) {
        if (es == 4) to.set(ValueLayout.JAVA_INT_UNALIGNED, toByte, from.get(ValueLayout.JAVA_INT_UNALIGNED, fromByte));
        else to.set(ValueLayout.JAVA_SHORT_UNALIGNED, toByte, from.get(ValueLayout.JAVA_SHORT_UNALIGNED, fromByte));
    }

    // next multi-index over dimensions 0..top (the last dimension is walked by the caller)
    private static void advance(long[] idx, Tensor t, int top) {
        for (int d = top; d >= 0; d--) {
            if (++idx[d] < t.size(d)) return;
            idx[d] = 0;
        }
    }
}
