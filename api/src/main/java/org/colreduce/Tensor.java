package org.colreduce;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A strided view over host memory: a segment, an element type, an offset and per-dimension
 * extents and strides, all counted in elements. Heap arrays wrap without a copy, and views
 * ({@link #transpose}, {@link #slice}) share the memory, so a [B, M, H, D] buffer or the last W
 * queries of a sequence need no copy. Strides are ≥ 0; every element the view can address lies
 * inside the segment, which is checked once here.
 */
public final class Tensor implements Operand {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final MemorySegment segment;
    private final DType dtype;
    private final long offset;
    private final long[] shape;
    private final long[] strides;

    private Tensor(MemorySegment segment, DType dtype, long offset, long[] shape, long[] strides) {
        if (segment == null) throw new IllegalArgumentException("segment must not be null");
        if (dtype == null) throw new IllegalArgumentException("dtype must not be null");
        if (shape.length == 0 || shape.length != strides.length)
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " and strides " + Arrays.toString(strides) + " must have the same rank ≥ 1");
        if (offset < 0) throw new IllegalArgumentException("offset must be ≥ 0, got " + offset);
        long last = offset;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0) throw new IllegalArgumentException("shape must be ≥ 0 in every dimension, got " + Arrays.toString(shape));
            if (strides[d] < 0) throw new IllegalArgumentException("strides must be ≥ 0, got " + Arrays.toString(strides));
            if (shape[d] == 0) { last = -1; break; }
            last = Math.addExact(last, Math.multiplyExact(shape[d] - 1, strides[d]));
        }
        long capacity = segment.byteSize() / dtype.byteSize();
        if (last >= capacity)
            throw new IllegalArgumentException("view (offset " + offset + ", shape " + Arrays.toString(shape) + ", strides " + Arrays.toString(strides)
                    + ") reaches element " + last + " but the segment holds " + capacity + " " + dtype + " elements");
        this.segment = segment;
        this.dtype = dtype;
        this.offset = offset;
        this.shape = shape.clone();
        this.strides = strides.clone();
    }

    /** Row-major strides for a shape. */
    public static long[] contiguousStrides(long... shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) { s[d] = acc; acc = Math.multiplyExact(acc, Math.max(1, shape[d])); }
        return s;
    }

    /** A contiguous row-major view of a segment from its start. */
    public static Tensor of(MemorySegment segment, DType dtype, long... shape) {
        return new Tensor(segment, dtype, 0, shape, contiguousStrides(shape));
    }

    /** A strided view of a segment. */
    public static Tensor of(MemorySegment segment, DType dtype, long offset, long[] shape, long[] strides) {
        return new Tensor(segment, dtype, offset, shape, strides);
    }

    /** Wraps a float array, no copy. */
    public static Tensor f32(float[] data, long... shape) { return of(MemorySegment.ofArray(data), DType.F32, shape); }

    /** Wraps an array of IEEE binary16 bits, no copy. */
    public static Tensor f16(short[] bits, long... shape) { return of(MemorySegment.ofArray(bits), DType.F16, shape); }

    /** Wraps an array of bfloat16 bits, no copy. */
    public static Tensor bf16(short[] bits, long... shape) { return of(MemorySegment.ofArray(bits), DType.BF16, shape); }

    /** A new zeroed contiguous F32 tensor on the heap. */
    public static Tensor zerosF32(long... shape) {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return f32(new float[Math.toIntExact(n)], shape);
    }

    public MemorySegment segment() { return segment; }

    @Override public DType dtype() { return dtype; }

    @Override public long[] shape() { return shape.clone(); }

    @Override public int rank() { return shape.length; }

    @Override public long size(int dim) { return shape[dim]; }

    public long offset() { return offset; }

    public long[] strides() { return strides.clone(); }

    public long stride(int dim) { return strides[dim]; }

    /** Whether the view is dense and row-major. */
    public boolean isContiguous() {
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != acc) return false;
            acc *= shape[d];
        }
        return true;
    }

    /** The same memory with dimensions a and b swapped, e.g. [B, M, H, D] → [B, H, M, D]. */
    public Tensor transpose(int a, int b) {
        long[] sh = shape.clone(), st = strides.clone();
        sh[a] = shape[b]; sh[b] = shape[a];
        st[a] = strides[b]; st[b] = strides[a];
        return new Tensor(segment, dtype, offset, sh, st);
    }

    /** The same memory restricted to {@code [start, start + length)} along one dimension. */
    public Tensor slice(int dim, long start, long length) {
        if (dim < 0 || dim >= shape.length) throw new IllegalArgumentException("slice dim " + dim + " out of range for rank " + shape.length);
        if (start < 0 || length < 0 || start + length > shape[dim])
            throw new IllegalArgumentException("slice [" + start + ", " + (start + length) + ") out of range 0.." + shape[dim] + " in dim " + dim);
        long[] sh = shape.clone();
        sh[dim] = length;
        return new Tensor(segment, dtype, offset + start * strides[dim], sh, strides);
    }

    /** The element index (in elements from the segment start) of a multi-index. */
    public long index(long... idx) {
        long e = offset;
        for (int d = 0; d < idx.length; d++) e += idx[d] * strides[d];
        return e;
    }

    /** Reads the element at an element index as float, converting from the stored type. */
    public float getAt(long elementIndex) {
        return switch (dtype) {
            case F32 -> segment.getAtIndex(F32, elementIndex);
            case F16 -> DType.f16ToFloat(segment.getAtIndex(I16, elementIndex));
            case BF16 -> DType.bf16ToFloat(segment.getAtIndex(I16, elementIndex));
        };
    }

    /** Writes a float at an element index, rounding to the stored type. */
    public void setAt(long elementIndex, float v) {
        switch (dtype) {
            case F32 -> segment.setAtIndex(F32, elementIndex, v);
            case F16 -> segment.setAtIndex(I16, elementIndex, DType.floatToF16(v));
            case BF16 -> segment.setAtIndex(I16, elementIndex, DType.floatToBf16(v));
        }
    }

    public float get(long... idx) { return getAt(index(idx)); }

    public void set(float v, long... idx) { setAt(index(idx), v); }

    /** Copies the view into a new dense float array, row-major (converted to float). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(elementCount())];
        long[] idx = new long[shape.length];
        for (int n = 0; n < out.length; n++) {
            out[n] = getAt(index(idx));
            for (int d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
        return out;
    }

    /** Whether two views can touch the same bytes (conservative: same segment, overlapping ranges). */
    public boolean mayOverlap(Tensor other) {
        if (segment.heapBase().isPresent() != other.segment.heapBase().isPresent()) return false;
        if (segment.heapBase().isPresent() && segment.heapBase().get() != other.segment.heapBase().get()) return false;
        long[] a = byteRange(), b = other.byteRange();
        return a[0] < b[1] && b[0] < a[1];
    }

    private long[] byteRange() {
        // a heap segment's address is its offset within the array; a native one's is absolute
        long lo = segment.address() + offset * dtype.byteSize(), hi = lo;
        for (int d = 0; d < shape.length; d++) hi += Math.max(0, shape[d] - 1) * strides[d] * dtype.byteSize();
        return new long[]{lo, hi + dtype.byteSize()};
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Arrays.toString(shape) + " strides " + Arrays.toString(strides) + " offset " + offset + "]";
    }
}
