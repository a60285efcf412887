package org.colreduce.cli;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;
import org.colreduce.conformance.Reference;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.Availability;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.Capabilities;
import org.colreduce.spi.ColReduceBackend;
import org.colreduce.spi.ReduceProblem;

/**
 * A test-only backend ("naive", lowest priority) over the conformance module's float64
 * {@link Reference}: it lets the command tests check the CLI's plumbing (files, options, outputs)
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
                double[] s = scores(a.scores()), o = output(a);
                write((Tensor) a.output(), o);
                write((Tensor) a.scores().out(), s);
            }).join();
        }

        private static double[] scores(ReduceProblem p) {
            ColumnReduction r = ColumnReduction.builder().reduction(p.reduction()).heads(p.heads()).mask(p.mask()).scale(p.scale())
                    .queryLengths(p.queryLengths()).keyLengths(p.keyLengths()).build();
            return Reference.columnReduce((Tensor) p.q(), (Tensor) p.k(), r, (Tensor) p.previous());
        }

        /** O = P·V row by row, from the reference's rows of P; a row that sees no key gives 0. */
        private static double[] output(AttendProblem a) {
            ReduceProblem p = a.scores();
            Tensor q = (Tensor) p.q(), k = (Tensor) p.k(), v = (Tensor) a.v();
            int dv = a.valueDim();
            double[] o = new double[p.batch() * p.queryHeads() * p.queries() * dv];
            for (int b = 0; b < p.batch(); b++)
                for (int h = 0; h < p.queryHeads(); h++)
                    for (int i = 0; i < p.queries(); i++) {
                        int kvh = h / p.groupSize();
                        double[] row = Reference.rowProbabilities(q, k, p.mask(), p.scale(), b, h, kvh, i, p.keys(), p.headDim(),
                                p.queryLengths()[b], p.keyLengths()[b]);
                        if (row == null) continue;
                        int at = ((b * p.queryHeads() + h) * p.queries() + i) * dv;
                        for (int j = 0; j < p.keys(); j++)
                            for (int e = 0; e < dv; e++) o[at + e] += row[j] * v.get(b, kvh, j, e);
                    }
            return o;
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
