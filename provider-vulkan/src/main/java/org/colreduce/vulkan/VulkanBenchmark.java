package org.colreduce.vulkan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.Mask;
import org.colreduce.spi.ReduceProblem;

/**
 * Times the Vulkan column reduction (F16, SUM, no head reduction) on the anchor shapes of the
 * CUDA issue, with device-resident random inputs: warm-up, then the median of GPU timestamps
 * around the whole command buffer (row statistics, column pass, head reduction).
 *
 * <pre>run_java org.colreduce.vulkan.VulkanBenchmark [--portable] [--stats] [--iters 20] [--shapes 1,32,1024,1024,128;...]
 *     [--variants "label:DEFINE,DEFINE=value/label2:.../label3:ONLY=rows,..."]</pre>
 *
 * {@code --variants} times the cm2 shaders once per variant (defines as in {@link ShaderSet.Cm2};
 * {@code ONLY=rows|columns} records one pass alone), and checks each variant's scores against
 * the first variant's on the same inputs (largest difference relative to the largest score).
 */
public final class VulkanBenchmark {
    static final String ANCHORS = "1,32,1024,1024,128;16,32,1024,1024,128;64,32,1024,1024,128;1,32,4096,4096,128;"
            + "1,32,16384,16384,128;1,32,4096,4096,128,causal;1,32,16384,16384,128,causal;1,32,64,16384,128,causal;"
            + "16,32,64,16384,128,causal;64,32,64,16384,128,causal;1,32,512,32768,128,causal;1,32,512,131072,128,causal;1,32,4096,4096,64";

    private VulkanBenchmark() {}

    public static void main(String[] args) {
        int iters = 20;
        String shapes = ANCHORS, variants = null;
        java.nio.file.Path refDir = null;
        for (int a = 0; a < args.length; a++) {
            switch (args[a]) {
                case "--portable" -> System.setProperty("colreduce.vulkan.path", "portable");
                case "--stats" -> System.setProperty("colreduce.vulkan.statistics", "true");
                case "--iters" -> iters = Integer.parseInt(args[++a]);
                case "--shapes" -> shapes = args[++a];
                case "--variants" -> variants = args[++a];
                case "--ref" -> refDir = java.nio.file.Path.of(args[++a]);
                default -> throw new IllegalArgumentException("unknown argument " + args[a]);
            }
        }
        VulkanBackend backend = new VulkanBackend();
        if (!backend.availability().available()) {
            System.out.println("vulkan unavailable: " + backend.availability().reason());
            return;
        }
        System.out.println("vulkan device: " + backend.capabilities().device());
        if (variants != null) {
            variants(backend, shapes, variants, iters, refDir);
            return;
        }
        List<Double> ratios = new ArrayList<>();
        try (VulkanSession s = (VulkanSession) backend.open()) {
            System.out.println("| shape B,H,M,N,D | path | vulkan ms (median) | min ms | pass 1 ms | TFLOP/s (2 Q·Kᵀ passes) |");
            System.out.println("|---|---|---|---|---|---|");
            for (String spec : shapes.split(";")) {
                String[] f = spec.trim().split(",");
                int b = Integer.parseInt(f[0]), h = Integer.parseInt(f[1]), m = Integer.parseInt(f[2]), n = Integer.parseInt(f[3]), d = Integer.parseInt(f[4]);
                boolean causal = f.length > 5 && f[5].equals("causal");
                String path = s.cooperative(DType.F16, d) ? "coopmat " + (s.device().cooperativeMatrix2 ? "cm2" : VulkanBackend.coopVariant().equals("lean") ? "lean" : "staged") : "portable";
                try {
                    double[] ms = time(s, b, h, m, n, d, causal, iters);
                    double flops = 2.0 * 2.0 * b * h * (double) m * n * d * (causal ? visibleFraction(m, n) : 1.0);
                    System.out.printf(Locale.ROOT, "| %s | %s | %.3f | %.3f | %.3f | %.1f |%n", spec.trim(), path, ms[0], ms[1], ms[2], flops / (ms[0] * 1e-3) / 1e12);
                    ratios.add(ms[0]);
                } catch (RuntimeException e) {
                    System.out.printf(Locale.ROOT, "| %s | %s | skipped: %s | | | |%n", spec.trim(), path, e.getMessage());
                }
            }
            s.device().pipelines.statistics().forEach((name, text) -> System.out.println("pipeline " + name + ": " + text));
        }
        double g = Math.exp(ratios.stream().mapToDouble(Math::log).average().orElse(Double.NaN));
        System.out.printf(Locale.ROOT, "geometric mean of the measured medians: %.3f ms over %d shapes%n", g, ratios.size());
    }

    /** Each variant of the cm2 shaders on each shape: median ms and the difference from the first variant's scores. */
    static void variants(VulkanBackend backend, String shapes, String variants, int iters, java.nio.file.Path refDir) {
        java.util.Map<String, float[]> first = new java.util.HashMap<>();
        try (VulkanSession s = (VulkanSession) backend.open()) {
            System.out.println("| variant | defines | shape | ms (median) | min ms | pass 1 ms | column pass ms | TFLOP/s | rel. diff vs first |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            for (String v : variants.split("/")) {
                int colon = v.indexOf(':');
                String label = colon < 0 ? v.trim() : v.substring(0, colon).trim(), defs = colon < 0 ? "" : v.substring(colon + 1).trim();
                String only = "";
                StringBuilder kept = new StringBuilder();
                for (String d : defs.split(",")) {
                    if (d.trim().toUpperCase(Locale.ROOT).startsWith("ONLY=")) only = d.trim().substring(5).toLowerCase(Locale.ROOT);
                    else if (!d.isBlank()) kept.append(kept.isEmpty() ? "" : ",").append(d.trim());
                }
                System.setProperty("colreduce.vulkan.cm2", kept.toString());
                VulkanSession.ONLY = only;
                for (String spec : shapes.split(";")) {
                    String[] f = spec.trim().split(",");
                    int b = Integer.parseInt(f[0]), h = Integer.parseInt(f[1]), m = Integer.parseInt(f[2]), n = Integer.parseInt(f[3]), d = Integer.parseInt(f[4]);
                    boolean causal = f.length > 5 && f[5].equals("causal");
                    try {
                        float[] scores = new float[b * h * n];
                        double[] ms = time(s, b, h, m, n, d, causal, iters, scores);
                        double flops = 2.0 * 2.0 * b * h * (double) m * n * d * (causal ? visibleFraction(m, n) : 1.0);
                        String diff = "—";
                        if (only.isEmpty()) {
                            float[] ref = first.putIfAbsent(spec.trim(), scores);
                            if (ref == null && refDir != null) ref = reference(refDir, spec.trim(), scores);
                            if (ref != null) {
                                double maxAbs = 0, maxDiff = 0;
                                for (int i = 0; i < ref.length; i++) {
                                    maxAbs = Math.max(maxAbs, Math.abs(ref[i]));
                                    maxDiff = Math.max(maxDiff, Math.abs(ref[i] - scores[i]));
                                    if (Float.isNaN(scores[i]) != Float.isNaN(ref[i])) maxDiff = Double.POSITIVE_INFINITY;
                                }
                                diff = String.format(Locale.ROOT, "%.2e", maxDiff / maxAbs);
                            } else diff = "(reference)";
                        }
                        System.out.printf(Locale.ROOT, "| %s | %s | %s | %.3f | %.3f | %.3f | %.3f | %.1f | %s |%n", label, defs, spec.trim(),
                                ms[0], ms[1], ms[2], ms[0] - ms[2], flops / (ms[0] * 1e-3) / 1e12, diff);
                    } catch (RuntimeException e) {
                        System.out.printf(Locale.ROOT, "| %s | %s | %s | failed: %s | | | |%n", label, defs, spec.trim(), e);
                    }
                }
            }
            s.device().pipelines.statistics().forEach((name, text) -> System.out.println("pipeline " + name + ": " + text));
        } finally {
            System.clearProperty("colreduce.vulkan.cm2");
            VulkanSession.ONLY = "";
        }
    }

    /** The scores of an earlier run (another JVM) of this shape, kept in {@code dir}; the first run writes them and gets null. */
    static float[] reference(java.nio.file.Path dir, String shape, float[] scores) {
        try {
            java.nio.file.Path f = dir.resolve(shape.replace(',', '_') + ".f32");
            if (!java.nio.file.Files.exists(f)) {
                java.nio.file.Files.createDirectories(dir);
                java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(4 * scores.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                bb.asFloatBuffer().put(scores);
                java.nio.file.Files.write(f, bb.array());
                return null;
            }
            float[] ref = new float[scores.length];
            java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(f)).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(ref);
            return ref;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Fraction of the M×N scores a bottom-right causal mask leaves visible. */
    static double visibleFraction(long m, long n) {
        double visible = 0;
        for (long i = 0; i < m; i++) visible += Math.min(n, Math.max(0, i + n - m + 1));
        return visible / ((double) m * n);
    }

    static double[] time(VulkanSession s, int b, int h, int m, int n, int d, boolean causal, int iters) {
        return time(s, b, h, m, n, d, causal, iters, null);
    }

    /** As above; where {@code scores} is given, the result of the last run is read back into it. */
    static double[] time(VulkanSession s, int b, int h, int m, int n, int d, boolean causal, int iters, float[] scores) {
        VulkanResidentTensor q = null, k = null, out = null;
        try {
            q = s.random(DType.F16, 1, 1.0f, b, h, m, d);
            k = s.random(DType.F16, 2, 1.0f, b, h, n, d);
            out = (VulkanResidentTensor) s.allocate(DType.F32, b, h, n);
            ColumnReduction r = ColumnReduction.builder().mask(causal ? Mask.causal() : Mask.none()).build();
            ReduceProblem p = ReduceProblem.of(q, k, r, out, null, null);
            // warm-up: at least 3 runs and 0.5 s of GPU time, so the clocks have left their idle state (a cap
            // of 200 runs left the shortest shape, 0.18 ms, on idle clocks after a variant's pipelines compiled)
            double warm = 0;
            for (int w = 0; w < 20000 && (w < 3 || warm < 500); w++) {
                s.columnReduce(p);
                warm += s.lastGpuNanos() / 1e6;
            }
            double[] t = new double[iters], t1 = new double[iters];
            for (int i = 0; i < iters; i++) {
                s.columnReduce(p);
                t[i] = s.lastGpuNanos() / 1e6;
                t1[i] = s.lastPass1Nanos() / 1e6;
            }
            Arrays.sort(t);
            Arrays.sort(t1);
            if (scores != null) s.download(out, org.colreduce.Tensor.f32(scores, b, h, n));
            return new double[]{t[iters / 2], t[0], t1[iters / 2]};
        } finally {
            if (q != null) q.close();
            if (k != null) k.close();
            if (out != null) out.close();
        }
    }
}
