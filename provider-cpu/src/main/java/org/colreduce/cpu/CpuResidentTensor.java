package org.colreduce.cpu;

import java.lang.foreign.Arena;
import java.util.Arrays;
import org.colreduce.DType;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;

/** A session's private contiguous host copy; closing frees its memory. */
final class CpuResidentTensor implements ResidentTensor {
    private final CpuSession session;
    private final Arena arena;
    private final Tensor view;
    private volatile boolean closed;

    CpuResidentTensor(CpuSession session, DType dtype, long... shape) {
        this.session = session;
        this.arena = Arena.ofShared(); // shared: worker threads read it
        long count = 1;
        for (long s : shape) count = Math.multiplyExact(count, s);
        this.view = Tensor.of(arena.allocate(count * dtype.byteSize(), 8), dtype, shape);
    }

    /** The contiguous host view of the data. */
    Tensor view() {
        if (closed) throw new IllegalStateException("resident tensor " + Arrays.toString(view.shape()) + " is closed");
        return view;
    }

    CpuSession session() { return session; }

    @Override public String backend() { return CpuBackend.NAME; }

    @Override public DType dtype() { return view.dtype(); }

    @Override public long[] shape() { return view.shape(); }

    @Override public boolean isClosed() { return closed; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        session.forget(this);
        arena.close();
    }

    @Override
    public String toString() { return "CpuResidentTensor[" + dtype() + " " + Arrays.toString(view.shape()) + (closed ? ", closed]" : "]"); }
}
