package org.colreduce.cli;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Session;
import org.colreduce.Tensor;
import org.colreduce.conformance.AttendConformance;
import org.colreduce.conformance.AttentionReference;
import org.colreduce.conformance.Compare;
import org.colreduce.conformance.Reference;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code colreduce demo}: times one column reduction of a realistic size on the chosen backend,
 * then checks the backend against the float64 reference on a small case of the same kind.
 */
@Command(name = "demo", header = "Times a realistic problem on the chosen backend and checks it against float64.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs a column reduction (or, with --attend, attention output and scores) on random inputs of a realistic size (default: B=1, H=8, M=N=1024, D=64,"
                + " float16, causal) on the automatically chosen backend, prints the time (median after a warm-up),"
                + " and checks the backend against a float64 reference on a small case. Exit code 1 when the check "
                + "fails.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--query-heads", paramLabel = "Hq", defaultValue = "8", description = "Query heads (default: ${DEFAULT-VALUE}).")
    int queryHeads;

    @Option(names = "--kv-heads", paramLabel = "Hkv", description = "KV heads, dividing Hq (default: Hq).")
    Integer kvHeads;

    @Option(names = "--queries", paramLabel = "M", defaultValue = "1024", description = "Query rows (default: ${DEFAULT-VALUE}).")
    int queries;

    @Option(names = "--keys", paramLabel = "N", defaultValue = "1024", description = "Key columns (default: ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--dim", paramLabel = "D", defaultValue = "64", description = "Head dimension, 1..256 (default: ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--dtype", paramLabel = "f32|f16|bf16", defaultValue = "f16", converter = DTypeConverter.class,
            description = "Element type of Q and K (default: ${DEFAULT-VALUE}).")
    DType dtype;

    @Option(names = "--mask", paramLabel = "MASK", defaultValue = "causal", converter = ProblemOptions.MaskConverter.class,
            description = "none, causal, causal-top-left, window:W or window-top-left:W (default: ${DEFAULT-VALUE}).")
    Mask mask;

    @Option(names = "--reduction", paramLabel = "sum|mean|max", defaultValue = "sum", converter = ProblemOptions.ReductionConverter.class,
            description = "Reduction over query rows (default: ${DEFAULT-VALUE}).")
    Reduction reduction;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "7", description = "Timed runs; the median is shown (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed (default: a fresh one, printed).")
    Long seed;

    @Option(names = "--attend", description = "Time attend instead: O = P.V (V of Dv = D) and the scores of the same P in one call.")
    boolean attend;

    @Mixin
    BackendOption backend;

    @Override
    public Integer call() {
        if (runs < 1 || warmup < 0) throw new IllegalArgumentException("--runs must be >= 1 and --warmup >= 0, got " + runs + " and " + warmup);
        int hkv = kvHeads == null ? queryHeads : kvHeads;
        long s0 = seed == null ? new Random().nextLong() : seed;
        ColumnReduction r = ColumnReduction.builder().reduction(reduction).mask(mask).build();
        PrintWriter out = spec.commandLine().getOut();
        try (Session s = backend.open(); Arena arena = Arena.ofShared()) {
            out.printf("backend   %s (%s)%n", s.backend(), s.capabilities().device());
            Random random = new Random(s0);
            Problem p = problem(arena, random, batch, queryHeads, hkv, queries, keys, r);
            out.printf("inputs    Q %s, K %s%s, %s, normal(0, 1), seed %d%n", Tensors.text(p.q.shape()), Tensors.text(p.k.shape()),
                    attend ? ", V " + Tensors.text(p.v.shape()) : "", dtype, s0);
            out.printf("call      %s%s over rows, mask %s, scale 1/sqrt(D) -> %s float32%n", attend ? "attend: O and " : "", reduction,
                    ProblemOptions.MaskConverter.name(mask), Tensors.text(p.scores.shape()));

            for (int i = 0; i < warmup; i++) p.run(s);
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                p.run(s);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            long m = queries, n = keys, heads = (long) batch * queryHeads, rows = 0, pairs = 0;
            for (long i = 0; i < m; i++) {
                long seen = Math.max(0, mask.lastKey(i, m, n) - mask.firstKey(i, m, n) + 1);
                pairs += seen;
                if (seen > 0) rows++;
            }
            // Q·Kᵀ twice (row statistics, then the column pass): 2·2·D flops per visible pair; P·V adds 2·Dv
            double flopsPerPair = 4.0 * dim + (attend ? 2.0 * dim : 0);
            out.printf("time      median %.3f ms of %d runs after %d warm-up (min %.3f, max %.3f): %.1f GFLOP/s%n", ms[runs / 2], runs, warmup,
                    ms[0], ms[runs - 1], flopsPerPair * pairs * heads / (ms[runs / 2] * 1e6));
            out.printf("          (counting the matrix work only: %s flops per visible query-key pair)%n", attend ? "4*D + 2*Dv" : "2 passes x 2*D");
            boolean ok = true;
            if (reduction == Reduction.SUM) {
                // each row of P sums to 1, so all the scores add up to the number of rows that see a key
                double total = 0;
                for (float x : p.scores.toFloatArray()) total += x;
                long expected = rows * heads;
                boolean sumOk = Math.abs(total - expected) <= 1e-3 * expected;
                out.printf("sum       all scores add up to %.2f; expected %d, the rows that see a key: %s%n", total, expected, sumOk ? "OK" : "FAILED");
                ok = sumOk;
            }
            ok &= checkSmallCase(s, r, random, out);
            return ok ? 0 : Main.CANNOT_RUN;
        }
    }

    /** Random inputs and zeroed outputs of one call; {@code v} and {@code o} only with --attend. */
    private record Problem(Tensor q, Tensor k, Tensor v, Tensor o, Tensor scores, ColumnReduction r) {
        void run(Session s) {
            if (v == null) s.columnReduce(q, k, r, scores);
            else BackendOption.attend(s, () -> s.attend(q, k, v, r, o, scores, null));
        }
    }

    private Problem problem(Arena arena, Random random, int b, int hq, int hkv, int m, int n, ColumnReduction r) {
        Tensor q = randomTensor(arena, random, b, hq, m, dim), k = randomTensor(arena, random, b, hkv, n, dim);
        Tensor v = attend ? randomTensor(arena, random, b, hkv, n, dim) : null;
        Tensor o = attend ? Tensors.allocate(arena, DType.F32, b, hq, m, dim) : null;
        return new Problem(q, k, v, o, Tensors.allocate(arena, DType.F32, Session.outputShape(q, k, r.heads())), r);
    }

    /**
     * The same kind of call on a small, odd-sized GQA case, against the float64 reference on the
     * same rounded inputs: the scores within SPEC 7.1, O (with --attend) within SPEC 11.1.
     */
    private boolean checkSmallCase(Session s, ColumnReduction r, Random random, PrintWriter out) {
        int m = queries <= keys ? 37 : 53, n = queries <= keys ? 53 : 37;
        try (Arena arena = Arena.ofShared()) {
            Problem p = problem(arena, random, 2, 4, 2, m, n, r);
            p.run(s);
            AttentionReference.Result ref = attend ? AttentionReference.attend(p.q, p.k, p.v, r) : null;
            double[] scores = ref != null ? ref.scores() : Reference.columnReduce(p.q, p.k, r);
            boolean ok = report(out, "check     Q " + Tensors.text(p.q.shape()) + ", K " + Tensors.text(p.k.shape()) + ": scores",
                    scores, p.scores, Compare.relativeTolerance(dtype), true);
            if (ref != null)
                ok &= report(out, "          O", ref.output(), p.o, dtype == DType.F32 ? AttendConformance.OUTPUT_F32 : AttendConformance.OUTPUT_HALF, false);
            return ok;
        }
    }

    /** Prints one comparison with the float64 reference; the largest-element limit (SPEC 7.1) applies to scores only. */
    private static boolean report(PrintWriter out, String what, double[] reference, Tensor got, double relLimit, boolean elementLimit) {
        Compare.Errors e = Compare.measure(reference, got.toFloatArray());
        double maxErr = e.nanMismatch() >= 0 ? Double.POSITIVE_INFINITY : e.maxAbsolute(), maxLimit = Compare.ELEMENT_OF_MAX * e.maxReference();
        boolean ok = e.relative() <= relLimit && e.nanMismatch() < 0 && (!elementLimit || maxErr <= maxLimit);
        out.printf("%s vs float64 reference: relative error %.2e (limit %.0e), max error %.2e%s: %s%n", what, e.relative(), relLimit, maxErr,
                elementLimit ? String.format(" (limit %.2e)", maxLimit) : "", ok ? "OK" : "FAILED");
        return ok;
    }

    /** Normal(0, 1) values rounded to the demo's dtype. */
    private Tensor randomTensor(Arena arena, Random random, long... shape) {
        Tensor t = Tensors.allocate(arena, dtype, shape);
        for (long i = 0, n = t.elementCount(); i < n; i++) t.setAt(i, (float) random.nextGaussian());
        return t;
    }

    static final class DTypeConverter implements ITypeConverter<DType> {
        @Override
        public DType convert(String value) {
            for (DType t : DType.values()) if (t.name().equalsIgnoreCase(value.trim())) return t;
            throw new TypeConversionException("'" + value + "' is not one of f32, f16, bf16");
        }
    }
}
