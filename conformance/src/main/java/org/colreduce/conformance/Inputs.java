package org.colreduce.conformance;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;

/**
 * Seeded generators of random and adversarial inputs: Q/K tensors of every element type in
 * contiguous and strided layouts, logits from normal to peaky to all-equal to huge, random masks,
 * lengths and reductions. Values are rounded to the element type when stored, and the reference
 * reads the stored values, so both sides compute on the same rounded inputs (§7.1).
 *
 * <p>The run's seed is fresh every run and can be fixed with {@code -Dcolreduce.seed=…}; every
 * test derives its own seed from it and its name, so a printed base seed reproduces the failure.
 */
public final class Inputs {
    public static final String SEED_PROPERTY = "colreduce.seed";
    private static final long BASE_SEED = initialSeed();

    /** How a [B, H, S, D] operand is laid out in memory. */
    public enum Layout {
        /** Dense row-major on a heap array. */
        CONTIGUOUS,
        /** A dense [B, S, H, D] buffer seen through {@code transpose(1, 2)}. */
        TRANSPOSED,
        /** The last S rows of a longer sequence: {@code slice(2, extra, S)} (SnapKV's window). */
        LAST_ROWS,
        /** The first D of a wider row: {@code slice(3, 1, D)} of [B, H, S, D + 3]. */
        NARROW_ROWS,
        /** A dense view starting at an element offset inside a larger heap segment. */
        OFFSET,
        /** Dense, in native (off-heap) memory. */
        NATIVE,
        /** Stride 0 along the head dimension: every head reads the same [S, D] block. */
        BROADCAST_HEADS
    }

    /** The strided layouts a backend must read like a contiguous copy (§1.5), broadcast aside. */
    public static final Layout[] VIEW_LAYOUTS = {Layout.CONTIGUOUS, Layout.TRANSPOSED, Layout.LAST_ROWS, Layout.NARROW_ROWS, Layout.OFFSET, Layout.NATIVE};

    /** What the logits look like. */
    public enum Logits {
        /** N(0, 1) entries, default scale: logits of order 1. */
        NORMAL,
        /** Logits of standard deviation 8: rows of P close to one-hot, still within float's accuracy. */
        PEAKY,
        /** Every query row identical within a head: every row of P the same. */
        EQUAL_QUERIES,
        /** Every key identical within a head: P uniform over the visible keys. */
        EQUAL_KEYS
    }

    private final long seed;
    private final SplittableRandom random;

    public Inputs(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /** The base seed of this run ({@code -Dcolreduce.seed} or fresh). */
    public static long baseSeed() { return BASE_SEED; }

    /** A generator whose seed is derived from the run's base seed and a name (a test's). */
    public static Inputs forName(String name) {
        return new Inputs(new SplittableRandom(BASE_SEED ^ (name.hashCode() * 0x9E3779B97F4A7C15L)).nextLong());
    }

    /** How to reproduce: the base seed to pass and this generator's own seed. */
    public String seedText() {
        return "seed " + seed + " (rerun with -D" + SEED_PROPERTY + "=" + BASE_SEED + ")";
    }

    public long seed() { return seed; }

    public SplittableRandom random() { return random; }

    /** Uniform in [lo, hi], both inclusive. */
    public int between(int lo, int hi) { return random.nextInt(lo, hi + 1); }

    public double gaussian() { return random.nextGaussian(); }

    public <T> T pick(T[] options) { return options[random.nextInt(options.length)]; }

    // ---------------------------------------------------------------- tensors

    /** A [B, H, S, D] tensor in the given layout, filled from {@code values} (rounded to the type). */
    public Tensor tensor(DType dtype, Layout layout, int b, int h, int s, int d, DoubleSupplier values) {
        Tensor t = allocate(dtype, layout, b, h, s, d);
        fill(t, values);
        return t;
    }

    /** N(0, σ²) entries. */
    public Tensor normal(DType dtype, Layout layout, int b, int h, int s, int d, double sigma) {
        return tensor(dtype, layout, b, h, s, d, () -> sigma * random.nextGaussian());
    }

    /** Every row along S the same N(0, σ²) vector, per batch and head: equal queries or equal keys. */
    public Tensor equalRows(DType dtype, Layout layout, int b, int h, int s, int d, double sigma) {
        Tensor t = allocate(dtype, layout, b, h, s, d);
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int c = 0; c < d; c++) {
                    float v = (float) (sigma * random.nextGaussian());
                    for (int si = 0; si < s; si++) t.set(v, bi, hi, si, c);
                }
        return t;
    }

    /** A zeroed [B, H, S, D] view in the given layout. */
    public Tensor allocate(DType dtype, Layout layout, int b, int h, int s, int d) {
        return switch (layout) {
            case CONTIGUOUS -> Tensor.of(heap(dtype, (long) b * h * s * d), dtype, b, h, s, d);
            case TRANSPOSED -> Tensor.of(heap(dtype, (long) b * h * s * d), dtype, b, s, h, d).transpose(1, 2);
            case LAST_ROWS -> {
                int extra = between(1, 5);
                yield Tensor.of(heap(dtype, (long) b * h * (s + extra) * d), dtype, b, h, s + extra, d).slice(2, extra, s);
            }
            case NARROW_ROWS -> Tensor.of(heap(dtype, (long) b * h * s * (d + 3)), dtype, b, h, s, d + 3).slice(3, 1, d);
            case OFFSET -> {
                long offset = between(1, 37), count = (long) b * h * s * d;
                long[] shape = {b, h, s, d};
                yield Tensor.of(heap(dtype, offset + count + between(0, 11)), dtype, offset, shape, Tensor.contiguousStrides(shape));
            }
            case NATIVE -> Tensor.of(Arena.ofAuto().allocate((long) b * h * s * d * dtype.byteSize(), 64), dtype, b, h, s, d);
            case BROADCAST_HEADS -> Tensor.of(heap(dtype, (long) b * s * d), dtype, 0, new long[]{b, h, s, d}, new long[]{(long) s * d, 0, d, 1});
        };
    }

    private static MemorySegment heap(DType dtype, long count) {
        int n = Math.toIntExact(count);
        return dtype == DType.F32 ? MemorySegment.ofArray(new float[n]) : MemorySegment.ofArray(new short[n]);
    }

    /** Writes every element of a view, in row-major order of its indices. */
    public static void fill(Tensor t, DoubleSupplier values) {
        long[] shape = t.shape();
        long[] idx = new long[shape.length];
        long count = t.elementCount();
        for (long e = 0; e < count; e++) {
            t.setAt(t.index(idx), (float) values.getAsDouble());
            for (int d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
    }

    /** A dense row-major copy of a view, same type and values. */
    public static Tensor contiguousCopy(Tensor t) {
        long n = t.elementCount();
        Tensor copy = Tensor.of(heap(t.dtype(), n), t.dtype(), t.shape());
        float[] values = t.toFloatArray();
        for (int e = 0; e < values.length; e++) copy.setAt(e, values[e]);
        return copy;
    }

    /** A new contiguous F32 tensor with every element set to {@code value} (a sentinel for untouched checks). */
    public static Tensor filledF32(float value, long... shape) {
        Tensor t = Tensor.zerosF32(shape);
        java.util.Arrays.fill((float[]) t.segment().heapBase().orElseThrow(), value);
        return t;
    }

    /** A previous-scores tensor: output shape with last extent L, random values in [0, 2). */
    public Tensor previous(long[] outputShape, int lastExtent) {
        long[] shape = outputShape.clone();
        shape[shape.length - 1] = lastExtent;
        Tensor t = Tensor.zerosF32(shape);
        fill(t, () -> 2 * random.nextDouble());
        return t;
    }

    // ---------------------------------------------------------------- Q and K

    /** Q [B, Hq, M, D] and K [B, Hkv, N, D] with the given logits, and the scale to use (NaN: default). */
    public Case qk(String label, DType dtype, Layout qLayout, Layout kLayout, int b, int hq, int hkv, int m, int n, int d,
                   Logits logits, ColumnReduction.Builder spec) {
        Tensor q, k;
        switch (logits) {
            case EQUAL_QUERIES -> { q = equalRows(dtype, qLayout, b, hq, m, d, 1); k = normal(dtype, kLayout, b, hkv, n, d, 1); }
            case EQUAL_KEYS -> { q = normal(dtype, qLayout, b, hq, m, d, 1); k = equalRows(dtype, kLayout, b, hkv, n, d, 1); }
            default -> { q = normal(dtype, qLayout, b, hq, m, d, 1); k = normal(dtype, kLayout, b, hkv, n, d, 1); }
        }
        if (logits == Logits.PEAKY) spec.scale(8 / Math.sqrt(d)); // N(0,1)·N(0,1) summed over D: σ = √D
        return new Case(label + " " + logits, this, q, k, spec.build());
    }

    /** Normal logits, contiguous, F32. */
    public Case qk(String label, int b, int hq, int hkv, int m, int n, int d, ColumnReduction.Builder spec) {
        return qk(label, DType.F32, Layout.CONTIGUOUS, Layout.CONTIGUOUS, b, hq, hkv, m, n, d, Logits.NORMAL, spec);
    }

    // ---------------------------------------------------------------- random specs

    /** Lengths per batch in [0, max], often the extremes. */
    public int[] lengths(int b, int max) {
        int[] len = new int[b];
        for (int i = 0; i < b; i++) {
            int roll = random.nextInt(6);
            len[i] = roll == 0 ? 0 : roll == 1 ? max : between(0, max);
        }
        return len;
    }

    /** A random mask of §3: none, causal either way, or a sliding window of 1 … N + 1 either way. */
    public Mask mask(int n) {
        Mask.Alignment a = random.nextBoolean() ? Mask.Alignment.BOTTOM_RIGHT : Mask.Alignment.TOP_LEFT;
        return switch (random.nextInt(4)) {
            case 0 -> Mask.none();
            case 1 -> Mask.causal();
            case 2 -> Mask.causal(a);
            default -> Mask.slidingWindow(between(1, n + 1), a);
        };
    }

    /** A random reduction with a head reduction it is offered with (§5.4). */
    public ColumnReduction.Builder reduction() {
        Reduction r = pick(Reduction.values());
        HeadReduction h = r == Reduction.MAX ? HeadReduction.NONE : pick(HeadReduction.values());
        return ColumnReduction.builder().reduction(r).heads(h);
    }

    private static final int[] HEAD_DIMS = {1, 2, 3, 5, 8, 16, 17, 32, 33, 64, 80, 100, 128};

    /**
     * A random small case of every kind: shapes (M &gt; N, M = 1, N = 1 included), GQA, head
     * dims, layouts, logits, masks, lengths, reductions, scales.
     */
    public Case randomCase(DType dtype) {
        int b = between(1, 3), hkv = between(1, 3), hq = hkv * between(1, 3);
        int m = random.nextInt(8) == 0 ? 1 : between(1, 48);
        int n = random.nextInt(8) == 0 ? 1 : between(1, 64);
        int d = HEAD_DIMS[random.nextInt(HEAD_DIMS.length)];
        ColumnReduction.Builder spec = reduction().mask(mask(n));
        if (random.nextInt(3) == 0) spec.queryLengths(lengths(b, m));
        if (random.nextInt(3) == 0) spec.keyLengths(lengths(b, n));
        if (random.nextInt(4) == 0) spec.scale((random.nextDouble() * 4 - 2) / Math.sqrt(d));
        Logits logits = random.nextInt(3) == 0 ? pick(Logits.values()) : Logits.NORMAL;
        Layout ql = random.nextBoolean() ? Layout.CONTIGUOUS : pick(VIEW_LAYOUTS);
        Layout kl = random.nextBoolean() ? Layout.CONTIGUOUS : pick(VIEW_LAYOUTS);
        return qk("random", dtype, ql, kl, b, hq, hkv, m, n, d, logits, spec);
    }

    private static long initialSeed() {
        String given = System.getProperty(SEED_PROPERTY);
        if (given != null && !given.isBlank()) return Long.parseLong(given.trim());
        return new SplittableRandom(System.nanoTime() ^ System.currentTimeMillis() * 31).nextLong();
    }
}
