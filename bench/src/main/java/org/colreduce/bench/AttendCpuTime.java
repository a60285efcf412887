package org.colreduce.bench;

import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.colreduce.ColReduce;
import org.colreduce.ColumnReduction;
import org.colreduce.Mask;
import org.colreduce.Session;
import org.colreduce.Tensor;
import org.colreduce.cpu.CpuBackend;

/**
 * {@link CpuTime} for {@code attend}: single-thread CPU time per call of the CPU provider's
 * attend (O and the column SUM), beside its columnReduce alone (the floor: attend adds one P·V
 * to the same passes), the scalar path and {@link NaiveAttend} (materialises P). F32, V of K's
 * shape. Arguments: "BxHxMxNxD [causal]" with H as Hq or Hq/Hkv; none runs the three below.
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.colreduce.bench.AttendCpuTime</pre>
 */
public final class AttendCpuTime {
    private AttendCpuTime() {}

    public static void main(String[] args) {
        String[] shapes = args.length > 0 ? args : new String[]{"1x8x1024x1024x64 causal", "1x8x2048x2048x64 causal", "1x32/8x1x8192x128 causal"};
        System.out.printf("%-30s %-12s %12s %12s%n", "shape", "path", "cpu ms/call", "wall ms/call");
        ForkJoinPool one = new ForkJoinPool(1);
        long worker = one.submit(() -> Thread.currentThread().threadId()).join();
        try (Session vector = ColReduce.open(new CpuBackend()); Session scalar = ColReduce.open(new CpuBackend(true, 0))) {
            for (String shape : shapes) {
                String[] parts = shape.trim().split("\\s+");
                String[] d = parts[0].split("x");
                String[] heads = d[1].split("/"); // Hq or Hq/Hkv
                int b = Integer.parseInt(d[0]), hq = Integer.parseInt(heads[0]), hkv = Integer.parseInt(heads[heads.length - 1]);
                int m = Integer.parseInt(d[2]), n = Integer.parseInt(d[3]), dim = Integer.parseInt(d[4]);
                boolean causal = parts.length > 1 && parts[1].equals("causal");
                Random rnd = new Random(42);
                Tensor q = random(rnd, b, hq, m, dim), k = random(rnd, b, hkv, n, dim), v = random(rnd, b, hkv, n, dim);
                Tensor o = Tensor.zerosF32(b, hq, m, dim), scores = Tensor.zerosF32(b, hq, n);
                ColumnReduction r = ColumnReduction.builder().mask(causal ? Mask.causal() : Mask.none()).build();
                CpuTime.measure(one, worker, shape, "attend", () -> vector.attend(q, k, v, r, o, scores, null));
                CpuTime.measure(one, worker, shape, "colreduce", () -> vector.columnReduce(q, k, r, scores));
                CpuTime.measure(one, worker, shape, "attend sc.", () -> scalar.attend(q, k, v, r, o, scores, null));
                CpuTime.measure(one, worker, shape, "naive", () -> NaiveAttend.attend(q, k, v, causal));
            }
        } finally {
            one.shutdown();
        }
    }

    private static Tensor random(Random rnd, long... shape) {
        float[] f = new float[Math.toIntExact(shape[0] * shape[1] * shape[2] * shape[3])];
        for (int i = 0; i < f.length; i++) f[i] = (float) rnd.nextGaussian();
        return Tensor.f32(f, shape);
    }
}
