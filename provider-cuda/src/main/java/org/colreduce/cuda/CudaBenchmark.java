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
import org.colreduce.Reduction;
import org.colreduce.spi.ReduceProblem;

/**
 * Times the CUDA provider on the anchor shapes of issue 4 (F16, reduction SUM, Hq = Hkv) the way
 * the peer's do_bench does: device-resident operands drawn on the device, the L2 cache flushed
 * before each run, CUDA events around the kernels only, warm-up, then the median of many runs.
 *
 * <pre>run_java org.colreduce.cuda.CudaBenchmark [--shape B,H,M,N,D[,causal]]... [--reduction sum|mean|max] [--dtype f16|bf16]
 *     [--variants wgmma,mma]</pre>
 * Prints one JSON line per shape and kernel variant (the first variant under "cuda_ms", each
 * under "&lt;variant&gt;_ms", with the row-statistics share), then a table.
 */
public final class CudaBenchmark {
    static final String[] ANCHOR = {
        "1,32,1024,1024,128", "16,32,1024,1024,128", "64,32,1024,1024,128",
        "1,32,4096,4096,128", "1,32,16384,16384,128",
        "1,32,4096,4096,128,causal", "1,32,16384,16384,128,causal",
        "1,32,64,16384,128,causal", "16,32,64,16384,128,causal", "64,32,64,16384,128,causal",
        "1,32,512,32768,128,causal", "1,32,512,131072,128,causal",
        "1,32,4096,4096,64",
    };

    private static final java.util.Map<String, String> GIVEN = new java.util.HashMap<>();

    /** Sets a tuning property for one variant; null restores what the command line gave. */
    private static void setOption(String key, String value) {
        if (!GIVEN.containsKey(key)) GIVEN.put(key, System.getProperty(key));
        String v = value != null ? value : GIVEN.get(key);
        if (v == null) System.clearProperty(key); else System.setProperty(key, v);
    }

    public static void main(String[] args) {
        List<String> shapes = new ArrayList<>();
        Reduction reduction = Reduction.SUM;
        DType dtype = DType.F16;
        double budgetMs = 300;
        String[] variants = {System.getProperty(LaunchPlan.KERNELS, "wgmma8")};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--shape" -> shapes.add(args[++i]);
                case "--reduction" -> reduction = Reduction.valueOf(args[++i].toUpperCase(Locale.ROOT));
                case "--dtype" -> dtype = args[++i].equalsIgnoreCase("bf16") ? DType.BF16 : DType.F16;
                case "--rep-ms" -> budgetMs = Double.parseDouble(args[++i]);
                case "--variants" -> variants = args[++i].split(",");
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (shapes.isEmpty()) shapes.addAll(Arrays.asList(ANCHOR));
        CudaBackend backend = new CudaBackend();
        if (!backend.availability().available()) {
            System.out.println("{\"error\":\"" + backend.availability().reason() + "\"}");
            return;
        }
        List<String> rows = new ArrayList<>();
        try (CudaSession s = (CudaSession) backend.open()) {
            System.out.println("{\"device\":\"" + CudaDriver.deviceName() + "\",\"multiprocessors\":" + s.multiprocessors() + "}");
            long flushBytes = 256L << 20;
            CudaResidentTensor flush = (CudaResidentTensor) s.allocate(DType.F32, flushBytes / 4);
            CUevent_st start = new CUevent_st(), end = new CUevent_st(), mid = new CUevent_st();
            CudaDriver.check(cuEventCreate(start, CU_EVENT_DEFAULT), "cuEventCreate");
            CudaDriver.check(cuEventCreate(end, CU_EVENT_DEFAULT), "cuEventCreate");
            CudaDriver.check(cuEventCreate(mid, CU_EVENT_DEFAULT), "cuEventCreate");
            s.rowsDone = mid;
            long seed = 42;
            for (String shape : shapes) {
                String[] f = shape.split(",");
                int b = Integer.parseInt(f[0]), h = Integer.parseInt(f[1]), m = Integer.parseInt(f[2]), n = Integer.parseInt(f[3]), d = Integer.parseInt(f[4]);
                boolean causal = f.length > 5 && f[5].equals("causal");
                try (CudaResidentTensor q = s.random(dtype, seed++, b, h, m, d);
                     CudaResidentTensor k = s.random(dtype, seed++, b, h, n, d);
                     CudaResidentTensor out = (CudaResidentTensor) s.allocate(DType.F32, b, h, n)) {
                    ColumnReduction r = ColumnReduction.builder().reduction(reduction).mask(causal ? Mask.causal() : Mask.none()).build();
                    ReduceProblem p = ReduceProblem.of(q, k, r, out, null, backend.capabilities());
                    StringBuilder json = new StringBuilder(String.format(Locale.ROOT, "{\"shape\":\"%s\",\"dtype\":\"%s\",\"reduction\":\"%s\"",
                            shape, dtype.name().toLowerCase(Locale.ROOT), reduction.name().toLowerCase(Locale.ROOT)));
                    StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-34s", shape));
                    for (int v = 0; v < variants.length; v++) {
                        // a variant: kernels[:option]..., e.g. wgmma8, mma, wgmma8:nostream, wgmma8:r4:s4
                        // (options: nostream; r3/r4 row-statistics and s2/s3/s4 column_stream ring stages of
                        // the decode kernels; b2/b3 blocks per SM of the D = 64 column pass; q64/q128 queries
                        // per column-pass item; k64/k128 keys per row-statistics tile; absent: the -D given)
                        List<String> vp = Arrays.asList(variants[v].split(":"));
                        System.setProperty(LaunchPlan.KERNELS, vp.get(0));
                        System.setProperty(LaunchPlan.STREAM, vp.contains("nostream") ? "false" : "true");
                        setOption(LaunchPlan.DECODE_STAGES, vp.contains("r3") ? "3" : vp.contains("r4") ? "4" : null);
                        setOption(LaunchPlan.COLUMN_BLOCKS3, vp.contains("b3") ? "true" : vp.contains("b2") ? "false" : null);
                        setOption(LaunchPlan.COLUMN_QUERIES, vp.contains("q64") ? "64" : vp.contains("q128") ? "128" : null);
                        setOption(LaunchPlan.ROW_KEYS, vp.contains("k64") ? "64" : vp.contains("k128") ? "128" : null);
                        setOption(LaunchPlan.STREAM_STAGES, vp.contains("s2") ? "2" : vp.contains("s3") ? "3" : vp.contains("s4") ? "4" : null);
                        for (int w = 0; w < 3; w++) s.enqueue(p);
                        s.sync();
                        float[] first = time(s, p, flush, start, mid, end);
                        int reps = (int) Math.max(10, Math.min(400, budgetMs / Math.max(first[0], 1e-3)));
                        float[] t = new float[reps], rt = new float[reps];
                        for (int i = 0; i < reps; i++) {
                            float[] x = time(s, p, flush, start, mid, end);
                            t[i] = x[0];
                            rt[i] = x[1];
                        }
                        double median = median(t), rows1 = median(rt);
                        if (v == 0) json.append(String.format(Locale.ROOT, ",\"cuda_ms\":%.4f,\"reps\":%d", median, reps));
                        json.append(String.format(Locale.ROOT, ",\"%s_ms\":%.4f,\"%s_rows_ms\":%.4f,\"%s_min_ms\":%.4f", variants[v], median, variants[v], rows1, variants[v], t[0]));
                        row.append(String.format(Locale.ROOT, " %9.3f %9.3f", median, rows1));
                    }
                    System.out.println(json.append("}"));
                    rows.add(row.toString());
                } catch (RuntimeException e) {
                    System.out.println("{\"shape\":\"" + shape + "\",\"error\":\"" + e.getMessage().replace('"', '\'') + "\"}");
                    rows.add(String.format(Locale.ROOT, "%-34s %s", shape, "error: " + e.getMessage()));
                }
            }
            s.rowsDone = null;
            cuEventDestroy(mid);
            cuEventDestroy(start);
            cuEventDestroy(end);
            flush.close();
        }
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-34s", "shape"));
        for (String v : variants) head.append(String.format(Locale.ROOT, " %9s %9s", v + "_ms", "rows_ms"));
        System.out.println(head);
        rows.forEach(System.out::println);
    }

    private static double median(float[] t) {
        float[] c = t.clone();
        Arrays.sort(c);
        int n = c.length;
        return n % 2 == 1 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    }

    /** One run: {total ms, row-statistics ms}, the L2 flushed before it. */
    private static float[] time(CudaSession s, ReduceProblem p, CudaResidentTensor flush, CUevent_st start, CUevent_st mid, CUevent_st end) {
        CudaDriver.check(cuMemsetD32Async(flush.pointer(), 0, flush.elementCount(), s.stream()), "cuMemsetD32Async");
        CudaDriver.check(cuEventRecord(start, s.stream()), "cuEventRecord");
        s.enqueue(p);
        CudaDriver.check(cuEventRecord(end, s.stream()), "cuEventRecord");
        CudaDriver.check(cuEventSynchronize(end), "cuEventSynchronize");
        float[] ms = new float[1], rows = new float[1];
        CudaDriver.check(cuEventElapsedTime(ms, start, end), "cuEventElapsedTime");
        CudaDriver.check(cuEventElapsedTime(rows, start, mid), "cuEventElapsedTime");
        return new float[]{ms[0], rows[0]};
    }
}
