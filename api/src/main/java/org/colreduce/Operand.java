package org.colreduce;

/**
 * Something a backend can read as Q, K or V, or write scores into: a host {@link Tensor} view,
 * or a {@link ResidentTensor} that a session keeps on its device between calls.
 */
public interface Operand {
    DType dtype();

    /** The shape, outermost first. A copy: callers may not change the operand through it. */
    long[] shape();

    default int rank() { return shape().length; }

    default long size(int dim) { return shape()[dim]; }

    /** Number of elements. */
    default long elementCount() {
        long n = 1;
        for (long s : shape()) n = Math.multiplyExact(n, s);
        return n;
    }
}
