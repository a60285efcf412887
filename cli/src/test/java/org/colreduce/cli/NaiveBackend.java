package org.colreduce.cli;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.colreduce.DType;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.Availability;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.Capabilities;
import org.colreduce.spi.ColReduceBackend;
import org.colreduce.spi.ReduceProblem;

/**
 * A test-only backend ("naive", lowest priority) that runs {@link DoubleReference}: it lets the
 * command tests check the CLI's plumbing (files, options, outputs) independently of any real
 * provider. Host tensors only.
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
            CompletableFuture.runAsync(() -> writeScores(p, DoubleReference.compute(p, null).scores())).join();
        }

        @Override
        public void attend(AttendProblem a) {
            if (!attends) BackendSession.super.attend(a);
            DoubleReference.Result r = CompletableFuture.supplyAsync(() -> DoubleReference.compute(a.scores(), (Tensor) a.v())).join();
            writeScores(a.scores(), r.scores());
            Tensor o = (Tensor) a.output();
            long[] s = o.shape();
            int at = 0;
            for (long b = 0; b < s[0]; b++)
                for (long h = 0; h < s[1]; h++)
                    for (long i = 0; i < s[2]; i++)
                        for (long e = 0; e < s[3]; e++) o.set((float) r.output()[at++], b, h, i, e);
        }

        /** out = previous (zero-padded) + result, element by element (out may be previous itself). */
        private static void writeScores(ReduceProblem p, double[] result) {
            Tensor out = (Tensor) p.out(), prev = (Tensor) p.previous();
            long[] shape = out.shape();
            int n = (int) shape[shape.length - 1], rows = result.length / n, lastPrev = p.previousLength();
            for (int r = 0; r < rows; r++) {
                long[] idx = new long[shape.length];
                for (int d = shape.length - 2, rest = r; d >= 0; d--) { idx[d] = rest % shape[d]; rest /= (int) shape[d]; }
                for (int j = 0; j < n; j++) {
                    idx[shape.length - 1] = j;
                    double before = prev != null && j < lastPrev ? prev.get(idx) : 0;
                    out.set((float) (before + result[r * n + j]), idx);
                }
            }
        }
    }
}
