package org.colreduce.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.colreduce.ColReduce;
import org.colreduce.ColumnReduction;
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
 * {@code attend} (O and the column SUM) on the CPU provider, beside its {@code columnReduce} alone
 * (the floor: attend adds one P·V to the same passes) and {@link NaiveAttend}, which materialises
 * P. F32, V of K's shape; run with docs/PERFORMANCE.md's command.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class AttendBenchmark {
    /** "BxHxMxNxD [causal]" (x, not commas: JMH splits -p values at commas). */
    @Param({"1x8x1024x1024x64 causal", "1x8x1x8192x64"})
    public String shape;

    private Tensor q, k, v, output, scores;
    private boolean causal;
    private ColumnReduction reduction;
    private Session session;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.trim().split("\\s+");
        String[] dims = parts[0].split("x");
        int b = Integer.parseInt(dims[0]), h = Integer.parseInt(dims[1]), m = Integer.parseInt(dims[2]),
                n = Integer.parseInt(dims[3]), d = Integer.parseInt(dims[4]);
        causal = parts.length > 1 && parts[1].equals("causal");
        Random rnd = new Random(42);
        q = random(rnd, b, h, m, d);
        k = random(rnd, b, h, n, d);
        v = random(rnd, b, h, n, d);
        output = Tensor.zerosF32(b, h, m, d);
        scores = Tensor.zerosF32(b, h, n);
        reduction = ColumnReduction.builder().mask(causal ? Mask.causal() : Mask.none()).build();
        session = ColReduce.open(new CpuBackend());
    }

    @TearDown(Level.Trial)
    public void tearDown() { session.close(); }

    @Benchmark
    public Tensor cpuAttend() {
        session.attend(q, k, v, reduction, output, scores, null);
        return output;
    }

    @Benchmark
    public Tensor cpuColumnReduceAlone() {
        session.columnReduce(q, k, reduction, scores);
        return scores;
    }

    @Benchmark
    public float[][] naiveMaterialised() { return NaiveAttend.attend(q, k, v, causal); }

    private static Tensor random(Random rnd, long... shape) {
        float[] f = new float[Math.toIntExact(shape[0] * shape[1] * shape[2] * shape[3])];
        for (int i = 0; i < f.length; i++) f[i] = (float) rnd.nextGaussian();
        return Tensor.f32(f, shape);
    }
}
