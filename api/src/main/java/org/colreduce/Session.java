package org.colreduce;

import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.Capabilities;
import org.colreduce.spi.ReduceProblem;

/**
 * An open backend. Every call is validated here, before the backend sees it, so every backend
 * rejects the same bad input with the same message and writes nothing on error. Not thread-safe:
 * use one session per thread. Close it to free device memory and resident tensors.
 *
 * <pre>{@code
 * try (Session s = ColReduce.open()) {
 *     float[] scores = s.columnReduce(q, k, ColumnReduction.builder().mask(Mask.causal()).build());
 * }
 * }</pre>
 */
public final class Session implements AutoCloseable {
    private final String backend;
    private final Capabilities capabilities;
    private final BackendSession impl;
    private boolean closed;

    Session(String backend, Capabilities capabilities, BackendSession impl) {
        this.backend = backend;
        this.capabilities = capabilities;
        this.impl = impl;
    }

    /** The name of the backend this session runs on. */
    public String backend() { return backend; }

    public Capabilities capabilities() { return capabilities; }

    /** The result shape of a column reduction: [B, Hq, N], [B, N] or [B, Hkv, N]. */
    public static long[] outputShape(Operand q, Operand k, HeadReduction heads) {
        long[] qs = q.shape(), ks = k.shape();
        if (qs.length != 4 || ks.length != 4) throw new IllegalArgumentException("q and k must have rank 4");
        return ReduceProblem.outputShape((int) qs[0], (int) qs[1], (int) ks[1], (int) ks[2], heads);
    }

    /** Column reduction of P = softmax(Q·Kᵀ·scale + mask) into a new array, row-major over {@link #outputShape}. */
    public float[] columnReduce(Operand q, Operand k, ColumnReduction r) {
        long[] shape = outputShape(q, k, r.heads());
        Tensor out = Tensor.zerosF32(shape);
        columnReduce(q, k, r, out, null);
        return (float[]) out.segment().heapBase().orElseThrow();
    }

    /** Column reduction written into {@code out} (F32, {@link #outputShape}). */
    public void columnReduce(Operand q, Operand k, ColumnReduction r, Operand out) {
        columnReduce(q, k, r, out, null);
    }

    /**
     * Column reduction added to {@code previous} (running scores; zero-padded when its last extent
     * is shorter than N) and written into {@code out}. {@code out} may be the very same view as
     * {@code previous} when both have N columns.
     */
    public void columnReduce(Operand q, Operand k, ColumnReduction r, Operand out, Operand previous) {
        ensureOpen();
        ReduceProblem p = ReduceProblem.of(q, k, r, out, previous, capabilities);
        checkResident("q k out previous", p.q(), p.k(), p.out(), p.previous());
        impl.columnReduce(p);
    }

    /**
     * Attention output O = P·V into {@code output} ([B, Hq, M, Dv], F32 or the inputs' type) and
     * the column reduction of the same P into {@code scores}, added to {@code previousScores}
     * when that is not null.
     */
    public void attend(Operand q, Operand k, Operand v, ColumnReduction r, Operand output, Operand scores, Operand previousScores) {
        ensureOpen();
        ReduceProblem p = ReduceProblem.of(q, k, r, scores, previousScores, capabilities);
        AttendProblem a = AttendProblem.of(p, v, output);
        checkResident("q k scores previousScores v output", p.q(), p.k(), p.out(), p.previous(), a.v(), a.output());
        impl.attend(a);
    }

    /** Attention with new F32 outputs: O [B, Hq, M, Dv] and the scores. */
    public Attention attend(Operand q, Operand k, Operand v, ColumnReduction r) {
        if (q == null) throw new IllegalArgumentException("q must not be null");
        if (v == null) throw new IllegalArgumentException("v must not be null");
        if (r == null) throw new IllegalArgumentException("reduction must not be null");
        long[] qs = q.shape(), vs = v.shape();
        if (qs.length != 4 || vs.length != 4) throw new IllegalArgumentException("q and v must have rank 4");
        Tensor o = Tensor.zerosF32(qs[0], qs[1], qs[2], vs[3]);
        Tensor s = Tensor.zerosF32(outputShape(q, k, r.heads()));
        attend(q, k, v, r, o, s, null);
        return new Attention(o, s);
    }

    /** O and the column scores of one {@link #attend} call. */
    public record Attention(Tensor output, Tensor scores) {}

    /** Copies a host view to the backend; reuse the result across calls, close it when done. */
    public ResidentTensor upload(Tensor source) {
        ensureOpen();
        if (source == null) throw new IllegalArgumentException("source must not be null");
        return impl.upload(source);
    }

    /** A zeroed resident tensor, e.g. running scores kept on the device. */
    public ResidentTensor allocate(DType dtype, long... shape) {
        ensureOpen();
        if (dtype == null) throw new IllegalArgumentException("dtype must not be null");
        for (long s : shape) if (s < 1) throw new IllegalArgumentException("shape must be ≥ 1 in every dimension, got " + java.util.Arrays.toString(shape));
        return impl.allocate(dtype, shape);
    }

    /** Copies a resident tensor into a host view of the same shape and dtype. */
    public void download(ResidentTensor source, Tensor destination) {
        ensureOpen();
        checkResident("source", source);
        if (destination == null) throw new IllegalArgumentException("destination must not be null");
        if (!java.util.Arrays.equals(source.shape(), destination.shape()) || source.dtype() != destination.dtype())
            throw new IllegalArgumentException("destination must be " + source.dtype() + " " + java.util.Arrays.toString(source.shape())
                    + ", got " + destination.dtype() + " " + java.util.Arrays.toString(destination.shape()));
        impl.download(source, destination);
    }

    /** A resident tensor's contents as a new float array, row-major. */
    public float[] download(ResidentTensor source) {
        long[] shape = source.shape();
        Tensor t = switch (source.dtype()) {
            case F32 -> Tensor.zerosF32(shape);
            case F16 -> Tensor.f16(new short[Math.toIntExact(source.elementCount())], shape);
            case BF16 -> Tensor.bf16(new short[Math.toIntExact(source.elementCount())], shape);
        };
        download(source, t);
        return t.toFloatArray();
    }

    /** {@code names}: the parameter names of {@code operands}, space-separated, for the messages. */
    private void checkResident(String names, Operand... operands) {
        String[] name = names.split(" ");
        for (int i = 0; i < operands.length; i++) {
            if (operands[i] instanceof ResidentTensor rt) {
                if (rt.isClosed()) throw new IllegalArgumentException(name[i] + ": resident tensor " + java.util.Arrays.toString(rt.shape()) + " is closed");
                if (!impl.owns(rt))
                    throw new IllegalArgumentException(name[i] + ": resident tensor " + java.util.Arrays.toString(rt.shape()) + " belongs to backend '" + rt.backend()
                            + "' or another session, not this '" + backend + "' session");
            }
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("session on '" + backend + "' is closed");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            impl.close();
        }
    }
}
