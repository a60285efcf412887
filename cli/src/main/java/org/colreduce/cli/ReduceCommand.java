package org.colreduce.cli;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.Session;
import org.colreduce.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code colreduce reduce}: column reduction of P from .npy files into a float32 .npy file. */
@Command(name = "reduce", header = "Column reduction of P from .npy files, without materialising P.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Reduces the columns of P = softmax(Q.K^T.scale + mask) over the query rows, without "
                + "materialising P. Q.npy [B, Hq, M, D] and K.npy [B, Hkv, N, D]: C or Fortran order, float32 or "
                + "float16 (or bfloat16 with --bf16), Hq a multiple of Hkv. OUT.npy is float32 [B, Hq, N], [B, N] "
                + "or [B, Hkv, N] by --heads.")
final class ReduceCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--q", required = true, paramLabel = "Q.npy", description = "Queries [B, Hq, M, D].")
    Path q;

    @Option(names = "--k", required = true, paramLabel = "K.npy", description = "Keys [B, Hkv, N, D].")
    Path k;

    @Option(names = "--out", required = true, paramLabel = "OUT.npy", description = "Where the float32 result goes (replaced).")
    Path out;

    @Option(names = "--previous", paramLabel = "PREV.npy",
            description = "Running scores to add this result to (float32, the result's shape with a last extent <= N, read "
                    + "as zero-padded): a decode loop's accumulated scores. May be the same file as --out.")
    Path previous;

    @Mixin
    ProblemOptions problem;

    @Mixin
    BackendOption backend;

    @Option(names = {"-v", "--verbose"}, description = "Print the backend, the shapes and the time on stderr.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        ColumnReduction r = problem.reduction();
        NpyFiles.checkWritable("--out", out);
        try (Arena arena = Arena.ofShared()) {
            Tensor tq = NpyFiles.rank4(arena, "--q", q, problem.bf16, "[B, Hq, M, D]");
            Tensor tk = NpyFiles.rank4(arena, "--k", k, problem.bf16, "[B, Hkv, N, D]");
            Tensor prev = previous == null ? null : NpyFiles.read(arena, "--previous", previous, false).tensor();
            long[] shape = Session.outputShape(tq, tk, r.heads());
            Tensor result = Tensors.allocate(arena, DType.F32, shape);
            try (Session s = backend.open()) {
                long t0 = System.nanoTime();
                s.columnReduce(tq, tk, r, result, prev);
                long t1 = System.nanoTime();
                NpyFiles.write("--out", out, result);
                if (verbose)
                    spec.commandLine().getErr().printf("reduce on %s: q %s %s, k %s, %s -> %s %s in %.3f ms%n", s.backend(), Tensors.text(tq.shape()),
                            tq.dtype(), Tensors.text(tk.shape()), r, Tensors.text(shape), out, (t1 - t0) / 1e6);
            }
        }
        return 0;
    }
}
