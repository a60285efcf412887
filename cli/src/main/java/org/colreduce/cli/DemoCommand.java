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
        description = "Runs a column reduction on random inputs of a realistic size (default: B=1, H=8, M=N=1024, D=64,"
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

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "2", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Timed runs; the median is shown (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed (default: a fresh one, printed).")
    Long seed;

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
            Tensor q = randomTensor(arena, random, batch, queryHeads, queries, dim);
            Tensor k = randomTensor(arena, random, batch, hkv, keys, dim);
            long[] shape = Session.outputShape(q, k, r.heads());
            Tensor result = Tensors.allocate(arena, DType.F32, shape);
            out.printf("inputs    Q %s, K %s, %s, normal(0, 1), seed %d%n", Tensors.text(q.shape()), Tensors.text(k.shape()), dtype, s0);
            out.printf("call      %s over rows, mask %s, scale 1/sqrt(D) -> %s float32%n", reduction, ProblemOptions.MaskConverter.name(mask), Tensors.text(shape));

            for (int i = 0; i < warmup; i++) s.columnReduce(q, k, r, result);
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                s.columnReduce(q, k, r, result);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            out.printf("time      median %.3f ms of %d runs after %d warm-up (min %.3f, max %.3f): %.1f GFLOP/s%n", ms[runs / 2], runs, warmup,
                    ms[0], ms[runs - 1], flops(q, k) / (ms[runs / 2] * 1e6));
            out.println("          (counting the matrix work only: 2 passes x 2*D flops per visible query-key pair)");
            if (reduction == Reduction.SUM) out.println("sum       " + rowSumCheck(result, q, k));

            boolean ok = checkSmallCase(s, r, random, out);
            return ok ? 0 : Main.CANNOT_RUN;
        }
    }

    /** Q·Kᵀ is computed twice (row statistics, then the column pass): 2·2·D flops per visible pair. */
    private double flops(Tensor q, Tensor k) {
        long m = q.size(2), n = k.size(2), pairs = 0;
        for (long i = 0; i < m; i++) pairs += Math.max(0, mask.lastKey(i, m, n) - mask.firstKey(i, m, n) + 1);
        return 4.0 * dim * pairs * q.size(0) * q.size(1);
    }

    /** SUM over all columns equals the number of rows that see a key: each row of P sums to 1. */
    private String rowSumCheck(Tensor result, Tensor q, Tensor k) {
        double total = 0;
        for (float x : result.toFloatArray()) total += x;
        long m = q.size(2), n = k.size(2), rows = 0;
        for (long i = 0; i < m; i++) if (mask.lastKey(i, m, n) >= mask.firstKey(i, m, n)) rows++;
        long expected = rows * q.size(0) * q.size(1);
        return String.format("all scores add up to %.2f; expected %d, the rows that see a key (each row of P sums to 1)", total, expected);
    }

    /** The same kind of call on a small, odd-sized GQA case, against the float64 reference on the same rounded inputs (SPEC 7.1). */
    private boolean checkSmallCase(Session s, ColumnReduction r, Random random, PrintWriter out) {
        int m = queries <= keys ? 37 : 53, n = queries <= keys ? 53 : 37;
        try (Arena arena = Arena.ofShared()) {
            Tensor q = randomTensor(arena, random, 2, 4, m, dim);
            Tensor k = randomTensor(arena, random, 2, 2, n, dim);
            Tensor got = Tensor.zerosF32(Reference.outputShape(q, k, r.heads()));
            s.columnReduce(q, k, r, got);
            Compare.Errors e = Compare.measure(Reference.columnReduce(q, k, r), got.toFloatArray());
            double rel = e.relative(), relLimit = Compare.relativeTolerance(dtype);
            double maxErr = e.nanMismatch() >= 0 ? Double.POSITIVE_INFINITY : e.maxAbsolute(), maxLimit = Compare.ELEMENT_OF_MAX * e.maxReference();
            boolean ok = rel <= relLimit && maxErr <= maxLimit;
            out.printf("check     Q %s, K %s vs float64 reference: relative error %.2e (limit %.0e), max error %.2e (limit %.2e): %s%n",
                    Tensors.text(q.shape()), Tensors.text(k.shape()), rel, relLimit, maxErr, maxLimit, ok ? "OK" : "FAILED");
            return ok;
        }
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
