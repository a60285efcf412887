package org.colreduce.cuda;

import java.util.Arrays;
import org.colreduce.DType;
import org.colreduce.ResidentTensor;

/** A contiguous row-major tensor in the device memory of one {@link CudaSession}. */
final class CudaResidentTensor implements ResidentTensor {
    private final CudaSession session;
    private final DType dtype;
    private final long[] shape;
    private final long bytes;
    private long pointer;

    CudaResidentTensor(CudaSession session, DType dtype, long[] shape, long pointer, long bytes) {
        this.session = session;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.pointer = pointer;
        this.bytes = bytes;
    }

    @Override public String backend() { return "cuda"; }

    @Override public DType dtype() { return dtype; }

    @Override public long[] shape() { return shape.clone(); }

    @Override public boolean isClosed() { return pointer == 0; }

    CudaSession session() { return session; }

    long bytes() { return bytes; }

    /** The device address; the tensor must be open. */
    long pointer() {
        if (pointer == 0) throw new IllegalArgumentException("resident tensor " + Arrays.toString(shape) + " is closed");
        return pointer;
    }

    @Override
    public void close() {
        if (pointer != 0) {
            long p = pointer;
            pointer = 0;
            session.release(this, p);
        }
    }

    @Override
    public String toString() { return "CudaResidentTensor[" + dtype + " " + Arrays.toString(shape) + (pointer == 0 ? " closed" : "") + "]"; }
}
