package org.colreduce;

import java.util.Arrays;

/**
 * Running attention scores of a KV cache over a decode loop, and the heavy-hitter eviction
 * policy of H2O (Zhang et al., 2023) on them. One tracker follows one cache of B batches ×
 * Hkv KV heads; its scores live on the session's device between steps.
 *
 * <h2>The policy</h2>
 * <ul>
 *   <li><b>Score.</b> The score of key j of (b, KV head g) is the total attention it has received
 *   so far: Σ over every query row of every step, and over the query heads that read g, of
 *   p_ij. That is {@link Reduction#SUM} over rows and {@link HeadReduction#GROUP_SUM} over heads,
 *   accumulated across steps as {@code previous} scores (SPEC §6.1: a key appended since the last
 *   step starts at 0). SUM, not MEAN: H2O's accumulated attention is a plain sum, and a sum
 *   weighs every query row once, whatever the step it came in; summing per-step means would
 *   count one decode row as much as a whole prefill chunk. The sum favours old keys (more rows
 *   have seen them), which is what the recent window offsets. Summing rather than averaging over
 *   the heads of a group changes no ranking.</li>
 *   <li><b>Selection.</b> {@link #select(int, int)} keeps, per (b, g), the {@code recentWindow}
 *   most recent keys always, then the keys of highest score among the others until
 *   {@code budget} are kept; ties go to the lower index, a NaN score ranks below every number.
 *   With at most {@code budget} keys, every key is kept. The indices come back ascending, so
 *   the kept cache keeps its order (and the causal mask its meaning).</li>
 *   <li><b>Eviction.</b> The caller drops the other keys and values from its cache (e.g. with
 *   {@link #gather}) and calls {@link #compact} with the same indices, which re-indexes the
 *   scores. Every (b, g) keeps the same number of keys, so the cache stays rectangular.</li>
 * </ul>
 *
 * <pre>{@code
 * try (HeavyHitterTracker t = new HeavyHitterTracker(session, 1, 8)) {
 *     for (int step = 0; ; step++) {
 *         Tensor o = t.step(q, k, v);                 // k, v: the whole cache, new keys last
 *         if (k.size(2) > 1024) {
 *             int[][][] kept = t.select(1024, 64);
 *             k = HeavyHitterTracker.gather(k, kept);
 *             v = HeavyHitterTracker.gather(v, kept);
 *             t.compact(kept);
 *         }
 *     }
 * }
 * }</pre>
 *
 * Each step that appends keys allocates the grown score tensor on the device and frees the old
 * one; {@link #select} and {@link #compact} copy the B·Hkv·N scores to the host and back.
 * Not thread-safe, like its session.
 */
public final class HeavyHitterTracker implements AutoCloseable {
    private final Session session;
    private final int batch, kvHeads;
    private final ColumnReduction attention;
    /** [B, Hkv, length] F32; null while no key has been seen. */
    private ResidentTensor scores;
    private int length;
    private boolean closed;

    /** A tracker for decoding: causal mask (bottom-right: new queries are the newest keys), scale 1/√D. */
    public HeavyHitterTracker(Session session, int batch, int kvHeads) {
        this(session, batch, kvHeads, ColumnReduction.builder().mask(Mask.causal()));
    }

    /** A tracker whose steps use the given mask, scale 1/√D. */
    public HeavyHitterTracker(Session session, int batch, int kvHeads, Mask mask) {
        this(session, batch, kvHeads, ColumnReduction.builder().mask(mask));
    }

    /** A tracker whose steps use the given mask and scale (finite). */
    public HeavyHitterTracker(Session session, int batch, int kvHeads, Mask mask, double scale) {
        this(session, batch, kvHeads, ColumnReduction.builder().mask(mask).scale(scale));
    }

    private HeavyHitterTracker(Session session, int batch, int kvHeads, ColumnReduction.Builder attention) {
        if (session == null) throw new IllegalArgumentException("session must not be null");
        if (batch < 1) throw new IllegalArgumentException("batch must be ≥ 1, got " + batch);
        if (kvHeads < 1) throw new IllegalArgumentException("kvHeads must be ≥ 1, got " + kvHeads);
        this.session = session;
        this.batch = batch;
        this.kvHeads = kvHeads;
        this.attention = attention.reduction(Reduction.SUM).heads(HeadReduction.GROUP_SUM).build();
    }

    /** The attention options of every step: SUM over rows, GROUP_SUM over heads, the tracker's mask and scale. */
    public ColumnReduction attention() { return attention; }

    /** How many keys the scores cover: N of the last step, or the kept count after {@link #compact}. */
    public int length() { return length; }

    /**
     * One attention step over the whole cache: returns O (F32, [B, Hq, M, Dv]) and adds this
     * step's scores to the running ones. {@code k} and {@code v} are [B, Hkv, N, D] and
     * [B, Hkv, N, Dv] with N ≥ {@link #length()}: the cache the scores describe, with the new
     * keys appended last.
     */
    public Tensor step(Operand q, Operand k, Operand v) {
        if (q == null) throw new IllegalArgumentException("q must not be null");
        if (v == null) throw new IllegalArgumentException("v must not be null");
        long[] qs = q.shape(), vs = v.shape();
        if (qs.length != 4 || vs.length != 4) throw new IllegalArgumentException("q and v must have rank 4, got q " + Arrays.toString(qs) + " and v " + Arrays.toString(vs));
        Tensor o = Tensor.zerosF32(qs[0], qs[1], qs[2], vs[3]);
        step(q, k, v, o);
        return o;
    }

    /** {@link #step(Operand, Operand, Operand)} writing O into {@code output} (F32 or the inputs' type, [B, Hq, M, Dv]). */
    public void step(Operand q, Operand k, Operand v, Operand output) {
        ensureOpen();
        if (k == null) throw new IllegalArgumentException("k must not be null");
        long[] ks = k.shape();
        if (ks.length != 4 || ks[0] != batch || ks[1] != kvHeads)
            throw new IllegalArgumentException("k must have shape [B=" + batch + ", Hkv=" + kvHeads + ", N, D], got " + Arrays.toString(ks));
        if (ks[2] < 1) throw new IllegalArgumentException("k must have N ≥ 1 keys, got " + Arrays.toString(ks));
        if (ks[2] < length)
            throw new IllegalArgumentException("k has N=" + ks[2] + " keys but the scores cover " + length + ": call compact(kept) after evicting keys");
        int n = Math.toIntExact(ks[2]);
        ResidentTensor next = scores != null && n == length ? scores : session.allocate(DType.F32, batch, kvHeads, n);
        try {
            session.attend(q, k, v, attention, output, next, scores);
        } catch (RuntimeException e) {
            if (next != scores) next.close();
            throw e;
        }
        replace(next, n);
    }

    /**
     * The keys to keep, per (b, KV head): {@code kept[b][g]} ascending, {@code min(budget, length())}
     * of them: the {@code recentWindow} newest, then the highest scores (see the class comment).
     */
    public int[][][] select(int budget, int recentWindow) {
        ensureOpen();
        if (budget < 1) throw new IllegalArgumentException("budget must be ≥ 1, got " + budget);
        if (recentWindow < 0 || recentWindow > budget)
            throw new IllegalArgumentException("recentWindow must be in 0..budget (" + budget + "), got " + recentWindow);
        float[] s = scores();
        int[][][] kept = new int[batch][kvHeads][];
        for (int b = 0; b < batch; b++)
            for (int g = 0; g < kvHeads; g++) kept[b][g] = keep(s, (b * kvHeads + g) * length, length, budget, recentWindow);
        return kept;
    }

    /**
     * Re-indexes the scores after the caller kept, of every (b, KV head), the keys
     * {@code kept[b][g]} (ascending, in 0..length−1, the same count for all): key t of the
     * compacted cache is key {@code kept[b][g][t]} of the old one. Usually {@link #select}'s result.
     */
    public void compact(int[][][] kept) {
        ensureOpen();
        if (kept == null || kept.length != batch || Arrays.stream(kept).anyMatch(k -> k == null || k.length != kvHeads))
            throw new IllegalArgumentException("kept must be [B=" + batch + "][Hkv=" + kvHeads + "][count]");
        int count = checkKept(kept, length);
        float[] old = scores();
        if (count == 0) {
            replace(null, 0);
            return;
        }
        float[] compacted = new float[batch * kvHeads * count];
        for (int b = 0; b < batch; b++)
            for (int g = 0; g < kvHeads; g++) {
                int row = b * kvHeads + g;
                for (int t = 0; t < count; t++) compacted[row * count + t] = old[row * length + kept[b][g][t]];
            }
        replace(session.upload(Tensor.f32(compacted, batch, kvHeads, count)), count);
    }

    /** The running scores as a new array, row-major [B, Hkv, length()] (empty before the first step). */
    public float[] scores() {
        ensureOpen();
        return scores == null ? new float[0] : session.download(scores);
    }

    /**
     * The rows {@code kept[b][g]} of a cache [B, Hkv, N, X] (K or V, any type and strides) as a
     * new contiguous tensor [B, Hkv, count, X] of the same type: the eviction {@link #compact} expects.
     */
    public static Tensor gather(Tensor cache, int[][][] kept) {
        if (cache == null) throw new IllegalArgumentException("cache must not be null");
        long[] s = cache.shape();
        if (s.length != 4) throw new IllegalArgumentException("cache must have rank 4 [B, Hkv, N, X], got " + Arrays.toString(s));
        if (kept == null || kept.length != s[0] || Arrays.stream(kept).anyMatch(k -> k == null || k.length != s[1]))
            throw new IllegalArgumentException("kept must be [B=" + s[0] + "][Hkv=" + s[1] + "][count]");
        int count = checkKept(kept, (int) s[2]);
        int x = Math.toIntExact(s[3]), total = Math.toIntExact(s[0] * s[1] * count * x);
        Tensor out = switch (cache.dtype()) {
            case F32 -> Tensor.f32(new float[total], s[0], s[1], count, x);
            case F16 -> Tensor.f16(new short[total], s[0], s[1], count, x);
            case BF16 -> Tensor.bf16(new short[total], s[0], s[1], count, x);
        };
        // element bits are copied through float, which F16 and BF16 represent exactly
        for (int b = 0; b < s[0]; b++)
            for (int g = 0; g < s[1]; g++)
                for (int t = 0; t < count; t++)
                    for (int c = 0; c < x; c++) out.set(cache.get(b, g, kept[b][g][t], c), b, g, t, c);
        return out;
    }

    /**
     * The policy for one (b, KV head): of keys 0..n−1 with scores s[at..at+n), the newest
     * {@code min(recent, n)}, then the highest-scored others (lower index first among equals, NaN
     * last) up to {@code budget}; ascending.
     */
    static int[] keep(float[] s, int at, int n, int budget, int recent) {
        if (n <= budget) {
            int[] all = new int[n];
            Arrays.setAll(all, i -> i);
            return all;
        }
        int window = Math.min(recent, n), older = n - window;
        Integer[] order = new Integer[older];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> {
            float x = s[at + a], y = s[at + b];
            if (Float.isNaN(x) || Float.isNaN(y)) {
                if (Float.isNaN(x) != Float.isNaN(y)) return Float.isNaN(x) ? 1 : -1;
            } else if (x != y) {
                return x > y ? -1 : 1;
            }
            return Integer.compare(a, b);
        });
        int[] kept = new int[budget];
        int heavy = budget - window;
        for (int i = 0; i < heavy; i++) kept[i] = order[i];
        for (int i = 0; i < window; i++) kept[heavy + i] = older + i;
        Arrays.sort(kept, 0, heavy);
        return kept;
    }

    /** Checks kept against B, Hkv and n keys; returns the common count. */
    private static int checkKept(int[][][] kept, int n) {
        if (kept == null) throw new IllegalArgumentException("kept must not be null");
        int count = -1;
        for (int b = 0; b < kept.length; b++) {
            if (kept[b] == null) throw new IllegalArgumentException("kept[" + b + "] must not be null");
            for (int g = 0; g < kept[b].length; g++) {
                int[] k = kept[b][g];
                if (k == null) throw new IllegalArgumentException("kept[" + b + "][" + g + "] must not be null");
                if (count < 0) count = k.length;
                if (k.length != count)
                    throw new IllegalArgumentException("kept must keep as many keys everywhere: kept[0][0] has " + count + ", kept[" + b + "][" + g + "] has " + k.length);
                for (int t = 0; t < k.length; t++)
                    if (k[t] < 0 || k[t] >= n || (t > 0 && k[t] <= k[t - 1]))
                        throw new IllegalArgumentException("kept[" + b + "][" + g + "] must be ascending indices in 0.." + (n - 1) + ", got " + Arrays.toString(k));
            }
        }
        return Math.max(count, 0);
    }

    private void replace(ResidentTensor next, int n) {
        if (scores != null && scores != next) scores.close();
        scores = next;
        length = n;
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("tracker is closed");
    }

    /** Frees the scores on the device. Idempotent; the session stays open. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        replace(null, 0);
    }
}
