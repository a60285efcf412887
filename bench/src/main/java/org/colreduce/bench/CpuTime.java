package org.colreduce.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.colreduce.ColReduce;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.Mask;
import org.colreduce.Session;
import org.colreduce.Tensor;
import org.colreduce.cpu.CpuBackend;

/**
 * CPU time of one call on one thread, beside its wall time: on a machine shared with other jobs
 * the wall time of JMH swings with their load, the CPU time a call costs much less. Every call
 * runs inside a fork/join pool of one worker (the provider's tasks and the naive path's parallel
 * stream run there too) and the worker's thread CPU time is read. Arguments: shapes as in
 * {@link ColumnReduceBenchmark} ("1x8x1024x1024x64 F32 causal"); none runs its four.
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.colreduce.bench.CpuTime</pre>
 */
public final class CpuTime {
    private CpuTime() {}

    public static void main(String[] args) {
        String[] shapes = args.length > 0 ? args
                : new String[]{"1x8x512x512x64 F32", "1x8x1024x1024x64 F32", "1x8x1024x1024x64 F16", "1x8x1024x1024x64 F32 causal"};
        System.out.printf("%-30s %-12s %12s %12s%n", "shape", "path", "cpu ms/call", "wall ms/call");
        ForkJoinPool one = new ForkJoinPool(1);
        long worker = one.submit(() -> Thread.currentThread().threadId()).join();
        try (Session vector = ColReduce.open(new CpuBackend()); Session scalar = ColReduce.open(new CpuBackend(true, 0))) {
            for (String shape : shapes) {
                String[] parts = shape.trim().split("\\s+");
                String[] d = parts[0].split("x");
                long[] qs = {Long.parseLong(d[0]), Long.parseLong(d[1]), Long.parseLong(d[2]), Long.parseLong(d[4])};
                long[] ks = {qs[0], qs[1], Long.parseLong(d[3]), qs[3]};
                DType type = DType.valueOf(parts[1]);
                boolean causal = parts.length > 2 && parts[2].equals("causal");
                Random rnd = new Random(42);
                Tensor q = random(rnd, type, qs), k = random(rnd, type, ks);
                ColumnReduction r = ColumnReduction.builder().mask(causal ? Mask.causal() : Mask.none()).build();
                measure(one, worker, shape, "cpu provider", () -> vector.columnReduce(q, k, r));
                measure(one, worker, shape, "scalar path", () -> scalar.columnReduce(q, k, r));
                measure(one, worker, shape, "naive", () -> NaiveColumnReduce.sum(q, k, causal));
            }
        } finally {
            one.shutdown();
        }
    }

    private static void measure(ForkJoinPool pool, long worker, String shape, String path, Runnable call) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long warmUntil = System.nanoTime() + 4_000_000_000L;
        while (System.nanoTime() < warmUntil) pool.submit(call).join();
        int calls = 0;
        long cpu0 = threads.getThreadCpuTime(worker), wall0 = System.nanoTime();
        while (calls < 3 || System.nanoTime() - wall0 < 3_000_000_000L) {
            pool.submit(call).join();
            calls++;
        }
        long cpu = threads.getThreadCpuTime(worker) - cpu0, wall = System.nanoTime() - wall0;
        System.out.printf("%-30s %-12s %12.1f %12.1f%n", shape, path, cpu / 1e6 / calls, wall / 1e6 / calls);
    }

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
