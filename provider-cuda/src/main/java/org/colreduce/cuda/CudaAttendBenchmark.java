package org.colreduce.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.Mask;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.ReduceProblem;

/**
 * Times {@code attend} (O = P·V and the column sums of P, V of K's shape, O in the inputs' type)
 * on the CUDA provider the way {@link CudaBenchmark} times {@code columnReduce}: operands drawn on
 * the device, L2 flushed before each run, CUDA events around the kernels, warm-up, median. Beside
 * it, the same call's scores alone ({@code columnReduce}), attend with the output pass at one block
 * a query tile where it would run persistent ({@code tile_ms}), attend with the row statistics as a
 * pass of their own (not fused into the output pass), and attend on the earlier output kernels:
 * the 8-warp wgmma kernel (attention_output_wg.cuh; sm_90, where the first column runs the
 * warp-specialised TMA kernel, attention_output_ws.cuh) and mma.sync (the default off sm_90).
 *
 * <pre>run_java org.colreduce.cuda.CudaAttendBenchmark [--shape B,H,M,N,D[,causal]]... [--dtype f16|bf16]</pre>
 */
public final class CudaAttendBenchmark {
    /** Issue 5 benchmarks attend on the anchor shapes of columnReduce, V of K's shape. */
    static final String[] SHAPES = CudaBenchmark.ANCHOR;

    public static void main(String[] args) {
        List<String> shapes = new ArrayList<>();
        DType dtype = DType.F16;
        double budgetMs = 300;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--shape" -> shapes.add(args[++i]);
                case "--dtype" -> dtype = args[++i].equalsIgnoreCase("bf16") ? DType.BF16 : DType.F16;
                case "--rep-ms" -> budgetMs = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (shapes.isEmpty()) shapes.addAll(Arrays.asList(SHAPES));
        CudaBackend backend = new CudaBackend();
        if (!backend.availability().available()) {
            System.out.println("{\"error\":\"" + backend.availability().reason() + "\"}");
            return;
        }
        List<String> table = new ArrayList<>();
        try (CudaSession s = (CudaSession) backend.open()) {
            System.out.println("{\"device\":\"" + CudaDriver.deviceName() + "\",\"multiprocessors\":" + s.multiprocessors() + "}");
            CudaResidentTensor flush = (CudaResidentTensor) s.allocate(DType.F32, (256L << 20) / 4);
            CUevent_st start = new CUevent_st(), end = new CUevent_st();
            CudaDriver.check(cuEventCreate(start, CU_EVENT_DEFAULT), "cuEventCreate");
            CudaDriver.check(cuEventCreate(end, CU_EVENT_DEFAULT), "cuEventCreate");
            long seed = 7;
            for (String shape : shapes) {
                String[] f = shape.split(",");
                int b = Integer.parseInt(f[0]), h = Integer.parseInt(f[1]), m = Integer.parseInt(f[2]), n = Integer.parseInt(f[3]), d = Integer.parseInt(f[4]);
                boolean causal = f.length > 5 && f[5].equals("causal");
                try (CudaResidentTensor q = s.random(dtype, seed++, b, h, m, d);
                     CudaResidentTensor k = s.random(dtype, seed++, b, h, n, d);
                     CudaResidentTensor v = s.random(dtype, seed++, b, h, n, d);
                     CudaResidentTensor o = (CudaResidentTensor) s.allocate(dtype, b, h, m, d);
                     CudaResidentTensor scores = (CudaResidentTensor) s.allocate(DType.F32, b, h, n)) {
                    ColumnReduction r = ColumnReduction.builder().mask(causal ? Mask.causal() : Mask.none()).build();
                    ReduceProblem p = ReduceProblem.of(q, k, r, scores, null, backend.capabilities());
                    AttendProblem a = AttendProblem.of(p, v, o);
                    String kernel = System.getProperty(OutputPlan.KERNEL);   // -D given on the command line stays in force
                    System.clearProperty(OutputPlan.ONLINE);
                    double fused = median(s, () -> s.enqueue(p, a), flush, start, end, budgetMs);
                    double[] hostAndBatched = hostAndBatched(s, () -> s.enqueue(p, a), start, end);
                    double[] split = split(s, () -> s.enqueue(p, a), flush, start, end);
                    double scoresOnly = median(s, () -> s.enqueue(p), flush, start, end, budgetMs);
                    System.setProperty(OutputPlan.PERSISTENT, "false");   // one block a query tile (where the default is persistent)
                    double perTile = median(s, () -> s.enqueue(p, a), flush, start, end, budgetMs);
                    System.clearProperty(OutputPlan.PERSISTENT);
                    System.setProperty(OutputPlan.ONLINE, "false");
                    double unfused = median(s, () -> s.enqueue(p, a), flush, start, end, budgetMs);
                    System.clearProperty(OutputPlan.ONLINE);
                    System.setProperty(OutputPlan.KERNEL, "wg");    // the 8-warp wgmma kernel (sm_90; elsewhere mma.sync)
                    double wg = median(s, () -> s.enqueue(p, a), flush, start, end, budgetMs);
                    System.setProperty(OutputPlan.KERNEL, "mma");   // the mma.sync kernel, also on sm_90
                    double mma = median(s, () -> s.enqueue(p, a), flush, start, end, budgetMs);
                    if (kernel == null) System.clearProperty(OutputPlan.KERNEL);
                    else System.setProperty(OutputPlan.KERNEL, kernel);
                    double flops = 4.0 * b * h * (causal ? visible(m, n) : (double) m * n) * d;   // QK^T and PV
                    System.out.printf(Locale.ROOT, "{\"shape\":\"%s\",\"dtype\":\"%s\",\"attend_ms\":%.4f,\"attend_host_us\":%.1f,\"attend_batched_ms\":%.4f,\"output_pass_ms\":%.4f,\"after_output_ms\":%.4f,\"attend_per_tile_ms\":%.4f,\"attend_unfused_ms\":%.4f,\"attend_wg_ms\":%.4f,\"attend_mma_ms\":%.4f,\"scores_only_ms\":%.4f,\"attend_tflops\":%.1f}%n",
                            shape, dtype.name().toLowerCase(Locale.ROOT), fused, hostAndBatched[0], hostAndBatched[1], split[0], split[1], perTile, unfused, wg, mma, scoresOnly, flops / fused / 1e9);
                    table.add(String.format(Locale.ROOT, "%-34s %10.3f %8.1f %10.3f %9.3f %9.3f %10.3f %12.3f %10.3f %10.3f %10.3f", shape, fused, hostAndBatched[0], hostAndBatched[1], split[0], split[1], perTile, unfused, wg, mma, scoresOnly));
                } catch (RuntimeException e) {
                    System.out.println("{\"shape\":\"" + shape + "\",\"error\":\"" + String.valueOf(e.getMessage()).replace('"', '\'') + "\"}");
                    table.add(String.format(Locale.ROOT, "%-34s error: %s", shape, e.getMessage()));
                }
            }
            cuEventDestroy(start);
            cuEventDestroy(end);
            flush.close();
        }
        System.out.printf(Locale.ROOT, "%-34s %10s %8s %10s %9s %9s %10s %12s %10s %10s %10s%n", "shape", "attend_ms", "host_us", "batched_ms", "output_ms", "after_ms", "tile_ms", "unfused_ms", "wg_ms", "mma_ms", "scores_ms");
        table.forEach(System.out::println);
    }

    /** Query-key pairs a bottom-right causal mask leaves visible. */
    private static double visible(long m, long n) {
        double sum = 0;
        for (long i = 0; i < m; i++) sum += Math.min(n, Math.max(0, i + n - m + 1));
        return sum;
    }

    private static double median(CudaSession s, Runnable call, CudaResidentTensor flush, CUevent_st start, CUevent_st end, double budgetMs) {
        for (int w = 0; w < 3; w++) call.run();
        s.sync();
        float first = time(s, call, flush, start, end);
        int reps = (int) Math.max(10, Math.min(200, budgetMs / Math.max(first, 1e-3)));
        float[] t = new float[reps];
        for (int i = 0; i < reps; i++) t[i] = time(s, call, flush, start, end);
        Arrays.sort(t);
        return reps % 2 == 1 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    }

    /**
     * Where a call's time goes besides its kernels: the host's time to enqueue it (median µs of
     * 20 calls), and the device time per call of 20 calls enqueued back to back with no flush and
     * no sync between them (the host runs ahead, so launch latency and host work are hidden).
     */
    private static double[] hostAndBatched(CudaSession s, Runnable call, CUevent_st start, CUevent_st end) {
        int n = 20;
        long[] host = new long[n];
        s.sync();
        CudaDriver.check(cuEventRecord(start, s.stream()), "cuEventRecord");
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            call.run();
            host[i] = System.nanoTime() - t0;
        }
        CudaDriver.check(cuEventRecord(end, s.stream()), "cuEventRecord");
        CudaDriver.check(cuEventSynchronize(end), "cuEventSynchronize");
        float[] ms = new float[1];
        CudaDriver.check(cuEventElapsedTime(ms, start, end), "cuEventElapsedTime");
        Arrays.sort(host);
        return new double[] {host[n / 2] / 1e3, ms[0] / n};
    }

    /** Medians of 21 flushed runs: the output pass (start to the event after its launch) and what follows it. */
    private static double[] split(CudaSession s, Runnable call, CudaResidentTensor flush, CUevent_st start, CUevent_st end) {
        CUevent_st mid = new CUevent_st();
        CudaDriver.check(cuEventCreate(mid, CU_EVENT_DEFAULT), "cuEventCreate");
        s.rowsDone = mid;
        try {
            int n = 21;
            float[] first = new float[n], rest = new float[n], ms = new float[1];
            for (int i = 0; i < n; i++) {
                float total = time(s, call, flush, start, end);
                CudaDriver.check(cuEventElapsedTime(ms, start, mid), "cuEventElapsedTime");
                first[i] = ms[0];
                rest[i] = total - ms[0];
            }
            Arrays.sort(first);
            Arrays.sort(rest);
            return new double[] {first[n / 2], rest[n / 2]};
        } finally {
            s.rowsDone = null;
            cuEventDestroy(mid);
        }
    }

    private static float time(CudaSession s, Runnable call, CudaResidentTensor flush, CUevent_st start, CUevent_st end) {
        CudaDriver.check(cuMemsetD32Async(flush.pointer(), 0, flush.elementCount(), s.stream()), "cuMemsetD32Async");
        CudaDriver.check(cuEventRecord(start, s.stream()), "cuEventRecord");
        call.run();
        CudaDriver.check(cuEventRecord(end, s.stream()), "cuEventRecord");
        CudaDriver.check(cuEventSynchronize(end), "cuEventSynchronize");
        float[] ms = new float[1];
        CudaDriver.check(cuEventElapsedTime(ms, start, end), "cuEventElapsedTime");
        return ms[0];
    }
}
