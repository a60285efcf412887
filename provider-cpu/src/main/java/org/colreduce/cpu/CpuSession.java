package org.colreduce.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.colreduce.DType;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.ReduceProblem;

/**
 * A CPU session: its kernels, its workers, and the resident tensors it made. A column reduction
 * is two parallel passes, {@link RowStatistics} then {@link ColumnPass}, joined by the per-row
 * the row statistics (2·B·Hq·M floats, the only allocation that grows with the problem).
 */
final class CpuSession implements BackendSession {
    private final Kernels kernels;
    private final Workers workers;
    private final Set<CpuResidentTensor> resident = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private volatile boolean closed;

    CpuSession(Kernels kernels, int threads) {
        this.kernels = kernels;
        this.workers = new Workers(threads);
    }

    Kernels kernels() { return kernels; }

    Workers workers() { return workers; }

    @Override
    public void columnReduce(ReduceProblem p) {
        ensureOpen();
        HostProblem hp = HostProblem.of(p);
        float[] lse = rowStatistics(hp);
        workers.forEach(ColumnPass.tasks(p), hp.shareable(), t -> ColumnPass.run(hp, kernels, t, lse));
    }

    /** {@link RowStatistics}, then {@link AttentionPass}: O and the column partials in one pass over K and V, then the scores. */
    @Override
    public void attend(AttendProblem a) {
        ensureOpen();
        HostProblem hp = HostProblem.of(a.scores());
        AttentionPass pass = new AttentionPass(a, hp);
        float[] lse = rowStatistics(hp);
        workers.forEach(pass.tasks(), pass.shareable(), t -> pass.run(kernels, t, lse));
        workers.forEach(pass.combineTasks(), pass.shareable(), pass::combine);
    }

    /** Pass 1 alone: (m, log l) per (b, query head, row), [B, Hq, M, 2] row-major; m = −∞ for rows that see no key. */
    float[] rowStatistics(HostProblem hp) {
        float[] lse = new float[Math.multiplyExact(2, Math.multiplyExact(Math.multiplyExact(hp.p().batch(), hp.p().queryHeads()), hp.p().queries()))];
        workers.forEach(RowStatistics.tasks(hp.p()), hp.shareable(), t -> RowStatistics.run(hp, kernels, t, lse));
        return lse;
    }

    @Override
    public ResidentTensor upload(Tensor source) {
        ensureOpen();
        CpuResidentTensor r = track(new CpuResidentTensor(this, source.dtype(), source.shape()));
        copy(source, r.view());
        return r;
    }

    @Override
    public ResidentTensor allocate(DType dtype, long... shape) {
        ensureOpen();
        return track(new CpuResidentTensor(this, dtype, shape)); // arena memory starts zeroed
    }

    @Override
    public void download(ResidentTensor source, Tensor destination) {
        ensureOpen();
        copy(HostProblem.host(source), destination);
    }

    @Override
    public boolean owns(ResidentTensor tensor) {
        return tensor instanceof CpuResidentTensor r && r.session() == this && !r.isClosed();
    }

    /** Copies the stored bits element by element (no conversion); bulk when both are contiguous. */
    private static void copy(Tensor from, Tensor to) {
        int bytes = from.dtype().byteSize();
        if (from.isContiguous() && to.isContiguous()) {
            MemorySegment.copy(from.segment(), from.offset() * bytes, to.segment(), to.offset() * bytes, from.elementCount() * bytes);
            return;
        }
        long[] shape = from.shape(), idx = new long[shape.length];
        for (long n = from.elementCount(); n > 0; n--) {
            long a = from.index(idx) * bytes, b = to.index(idx) * bytes;
            if (bytes == 4) to.segment().set(ValueLayout.JAVA_INT_UNALIGNED, b, from.segment().get(ValueLayout.JAVA_INT_UNALIGNED, a));
            else to.segment().set(ValueLayout.JAVA_SHORT_UNALIGNED, b, from.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, a));
            for (int d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
    }

    private CpuResidentTensor track(CpuResidentTensor r) {
        resident.add(r);
        return r;
    }

    void forget(CpuResidentTensor r) { resident.remove(r); }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("cpu session is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        List<CpuResidentTensor> open;
        synchronized (resident) { open = new ArrayList<>(resident); }
        for (CpuResidentTensor r : open) r.close();
        workers.close();
    }
}
