package org.colreduce.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.colreduce.ColReduce;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.Mask;
import org.colreduce.Session;
import org.colreduce.Tensor;
import org.colreduce.cpu.CpuBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Column SUM of softmax(Q·Kᵀ/√D) on the CPU provider against {@link NaiveColumnReduce}, which
 * materialises P. Shapes are B×H×M×N×D; run with docs/PERFORMANCE.md's command.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ColumnReduceBenchmark {
    /** "BxHxMxNxD dtype [causal]" (x, not commas: JMH splits -p values at commas). */
    @Param({"1x8x512x512x64 F32", "1x8x1024x1024x64 F32", "1x8x1024x1024x64 F16", "1x8x1024x1024x64 F32 causal"})
    public String shape;

    private Tensor q, k;
    private boolean causal;
    private ColumnReduction reduction;
    private Session session, scalarSession;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.trim().split("\\s+");
        String[] dims = parts[0].split("x");
        int b = Integer.parseInt(dims[0]), h = Integer.parseInt(dims[1]), m = Integer.parseInt(dims[2]),
                n = Integer.parseInt(dims[3]), d = Integer.parseInt(dims[4]);
        DType type = DType.valueOf(parts[1]);
        causal = parts.length > 2 && parts[2].equals("causal");
        Random rnd = new Random(42);
        q = random(rnd, type, b, h, m, d);
        k = random(rnd, type, b, h, n, d);
        reduction = ColumnReduction.builder().mask(causal ? Mask.causal() : Mask.none()).build();
        session = ColReduce.open(new CpuBackend());
        scalarSession = ColReduce.open(new CpuBackend(true, 0));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
        scalarSession.close();
    }

    /** The provider as ServiceLoader makes it: the Vector API path, the common fork/join pool. */
    @Benchmark
    public float[] cpuProvider() { return session.columnReduce(q, k, reduction); }

    /** The provider's scalar path, what a JVM without --add-modules jdk.incubator.vector runs. */
    @Benchmark
    public float[] cpuProviderScalarPath() { return scalarSession.columnReduce(q, k, reduction); }

    @Benchmark
    public float[] naiveMaterialised() { return NaiveColumnReduce.sum(q, k, causal); }

    private static Tensor random(Random rnd, DType type, long... shape) {
        int n = Math.toIntExact(shape[0] * shape[1] * shape[2] * shape[3]);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) rnd.nextGaussian();
        if (type == DType.F32) return Tensor.f32(f, shape);
        short[] s = new short[n];
        for (int i = 0; i < n; i++) s[i] = type == DType.F16 ? DType.floatToF16(f[i]) : DType.floatToBf16(f[i]);
        return type == DType.F16 ? Tensor.f16(s, shape) : Tensor.bf16(s, shape);
    }
}
