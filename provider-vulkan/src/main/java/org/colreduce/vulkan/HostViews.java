package org.colreduce.vulkan;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.colreduce.Tensor;

/** Copies between strided host views and dense row-major bytes (staging buffers). */
final class HostViews {
    private HostViews() {}

    /** Dense bytes of a view: its element count times the element size. */
    static long bytes(Tensor t) { return t.elementCount() * t.dtype().byteSize(); }

    /** Packs a strided view densely into {@code dst} from byte 0; contiguous views are one copy. */
    static void pack(Tensor t, MemorySegment dst) {
        walk(t, dst, true);
    }

    /** Writes dense bytes from {@code src} into a strided view. */
    static void unpack(MemorySegment src, Tensor t) {
        walk(t, src, false);
    }

    /** Writes dense F32 values from {@code src} into a 16-bit view, rounding to nearest even. */
    static void narrow(MemorySegment src, Tensor t) {
        long[] shape = t.shape();
        long[] idx = new long[shape.length];
        long count = t.elementCount();
        for (long e = 0; e < count; e++) {
            t.setAt(t.index(idx), src.getAtIndex(ValueLayout.JAVA_FLOAT, e));
            for (int d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
    }

    private static void walk(Tensor t, MemorySegment dense, boolean toDense) {
        long es = t.dtype().byteSize();
        long count = t.elementCount();
        if (count == 0) return;
        MemorySegment view = t.segment();
        if (t.isContiguous()) {
            if (toDense) MemorySegment.copy(view, t.offset() * es, dense, 0, count * es);
            else MemorySegment.copy(dense, 0, view, t.offset() * es, count * es);
            return;
        }
        long[] shape = t.shape(), strides = t.strides();
        int last = shape.length - 1;
        long run = shape[last];
        boolean unitInner = strides[last] == 1;
        long[] idx = new long[shape.length];
        long pos = 0;
        ValueLayout layout = es == 4 ? ValueLayout.JAVA_INT_UNALIGNED : ValueLayout.JAVA_SHORT_UNALIGNED;
        while (true) {
            long base = t.offset();
            for (int d = 0; d < last; d++) base += idx[d] * strides[d];
            if (unitInner) {
                if (toDense) MemorySegment.copy(view, base * es, dense, pos * es, run * es);
                else MemorySegment.copy(dense, pos * es, view, base * es, run * es);
            } else {
                for (long e = 0; e < run; e++) {
                    long at = (base + e * strides[last]) * es, to = (pos + e) * es;
                    if (es == 4) {
                        if (toDense) dense.set((ValueLayout.OfInt) layout, to, view.get((ValueLayout.OfInt) layout, at));
                        else view.set((ValueLayout.OfInt) layout, at, dense.get((ValueLayout.OfInt) layout, to));
                    } else {
                        if (toDense) dense.set((ValueLayout.OfShort) layout, to, view.get((ValueLayout.OfShort) layout, at));
                        else view.set((ValueLayout.OfShort) layout, at, dense.get((ValueLayout.OfShort) layout, to));
                    }
                }
            }
            pos += run;
            int d = last - 1;
            while (d >= 0 && ++idx[d] == shape[d]) idx[d--] = 0;
            if (d < 0) return;
        }
    }
}
