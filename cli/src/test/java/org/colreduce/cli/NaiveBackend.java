package org.colreduce.cli;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;
import org.colreduce.conformance.AttentionReference;
import org.colreduce.conformance.Reference;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.Availability;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.Capabilities;
import org.colreduce.spi.ColReduceBackend;
import org.colreduce.spi.ReduceProblem;

/**
 * A test-only backend ("naive", lowest priority) over the conformance module's float64
 * {@link Reference} and {@link AttentionReference}: it lets the command tests check the CLI's plumbing (files, options, outputs)
 * independently of any real provider. Host tensors only.
 */
public class NaiveBackend implements ColReduceBackend {
    @Override public String name() { return "naive"; }

    @Override public Availability availability() { return Availability.available("float64 loops, for the CLI's tests only"); }

    @Override public Capabilities capabilities() { return new Capabilities(Set.of(DType.values()), 256, 0, "test: float64 loops on the JVM"); }

    @Override public int priority() { return 1; }

    @Override public BackendSession open() { return new Naive(true); }

    static class Naive implements BackendSession {
        private final boolean attends;

        Naive(boolean attends) { this.attends = attends; }

        @Override public ResidentTensor upload(Tensor source) { throw new UnsupportedOperationException("naive: no resident tensors"); }

        @Override public ResidentTensor allocate(DType dtype, long... shape) { throw new UnsupportedOperationException("naive: no resident tensors"); }

        @Override public void download(ResidentTensor source, Tensor destination) { throw new UnsupportedOperationException("naive: no resident tensors"); }

        @Override public boolean owns(ResidentTensor tensor) { return false; }

        @Override public void close() {}

        /** Works on another thread, as real backends do: inputs in a confined arena would fail here. */
        @Override
        public void columnReduce(ReduceProblem p) {
            CompletableFuture.runAsync(() -> write((Tensor) p.out(), scores(p))).join();
        }

        @Override
        public void attend(AttendProblem a) {
            if (!attends) BackendSession.super.attend(a);
            CompletableFuture.runAsync(() -> {
                ReduceProblem p = a.scores();
                AttentionReference.Result r = AttentionReference.attend((Tensor) p.q(), (Tensor) p.k(), (Tensor) a.v(), spec(p), (Tensor) p.previous());
                write((Tensor) a.output(), r.output());
                write((Tensor) p.out(), r.scores());
            }).join();
        }

        private static double[] scores(ReduceProblem p) {
            return Reference.columnReduce((Tensor) p.q(), (Tensor) p.k(), spec(p), (Tensor) p.previous());
        }

        /** The call as a ColumnReduction again, for the reference. */
        private static ColumnReduction spec(ReduceProblem p) {
            return ColumnReduction.builder().reduction(p.reduction()).heads(p.heads()).mask(p.mask()).scale(p.scale())
                    .queryLengths(p.queryLengths()).keyLengths(p.keyLengths()).build();
        }

        /** Row-major values into a (possibly strided) view. */
        private static void write(Tensor out, double[] values) {
            long[] shape = out.shape(), idx = new long[shape.length];
            for (double x : values) {
                out.set((float) x, idx);
                for (int d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
            }
        }
    }
}
