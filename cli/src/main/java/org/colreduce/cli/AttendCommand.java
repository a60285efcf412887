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

/** {@code colreduce attend}: attention output O = P.V and the column scores of the same P, in one call. */
@Command(name = "attend", header = "Attention output O = P.V and the column scores of the same P, in one call.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Computes O = softmax(Q.K^T.scale + mask).V and the column reduction of the same P in one pass. "
                + "Q.npy [B, Hq, M, D], K.npy [B, Hkv, N, D], V.npy [B, Hkv, N, Dv] of one dtype (float32, float16,"
                + " or bfloat16 with --bf16). O.npy is float32 [B, Hq, M, Dv]; S.npy float32 as for 'reduce'.")
final class AttendCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--q", required = true, paramLabel = "Q.npy", description = "Queries [B, Hq, M, D].")
    Path q;

    @Option(names = "--k", required = true, paramLabel = "K.npy", description = "Keys [B, Hkv, N, D].")
    Path k;

    @Option(names = "--v", required = true, paramLabel = "V.npy", description = "Values [B, Hkv, N, Dv].")
    Path v;

    @Option(names = "--out", required = true, paramLabel = "O.npy", description = "Where the float32 attention output goes.")
    Path out;

    @Option(names = "--scores", required = true, paramLabel = "S.npy", description = "Where the float32 column scores go.")
    Path scores;

    @Option(names = "--scores-in", paramLabel = "PREV.npy",
            description = "Running scores to add to (float32, the scores' shape with a last extent <= N, zero-padded). May "
                    + "be the same file as --scores.")
    Path scoresIn;

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
        NpyFiles.checkWritable("--scores", scores);
        if (out.toAbsolutePath().normalize().equals(scores.toAbsolutePath().normalize()))
            throw new IllegalArgumentException("--out and --scores must be different files, both are " + out);
        try (Arena arena = Arena.ofShared()) {
            Tensor tq = NpyFiles.rank4(arena, "--q", q, problem.bf16, "[B, Hq, M, D]");
            Tensor tk = NpyFiles.rank4(arena, "--k", k, problem.bf16, "[B, Hkv, N, D]");
            Tensor tv = NpyFiles.rank4(arena, "--v", v, problem.bf16, "[B, Hkv, N, Dv]");
            Tensor prev = scoresIn == null ? null : NpyFiles.read(arena, "--scores-in", scoresIn, false).tensor();
            long[] qs = tq.shape();
            long[] oShape = {qs[0], qs[1], qs[2], tv.shape()[3]};
            long[] sShape = Session.outputShape(tq, tk, r.heads());
            Tensor o = Tensors.allocate(arena, DType.F32, oShape);
            Tensor s = Tensors.allocate(arena, DType.F32, sShape);
            try (Session session = backend.open()) {
                long t0 = System.nanoTime();
                BackendOption.attend(session, () -> session.attend(tq, tk, tv, r, o, s, prev));
                long t1 = System.nanoTime();
                NpyFiles.write("--out", out, o);
                NpyFiles.write("--scores", scores, s);
                if (verbose)
                    spec.commandLine().getErr().printf("attend on %s: q %s %s, k %s, v %s, %s -> %s %s, %s %s in %.3f ms%n", session.backend(),
                            Tensors.text(qs), tq.dtype(), Tensors.text(tk.shape()), Tensors.text(tv.shape()), r,
                            Tensors.text(oShape), out, Tensors.text(sShape), scores, (t1 - t0) / 1e6);
            }
        }
        return 0;
    }
}
