package org.colreduce.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;


import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeavyHitterTracker;
import org.colreduce.Tensor;
import org.colreduce.conformance.Inputs.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link HeavyHitterTracker} on a backend (docs/TRACKER.md, rules T1–T3): a scripted decode
 * loop checked step by step against a float64 shadow that recomputes the attention with
 * {@link AttentionReference}, accumulates the scores in double and applies the same policy with
 * code of its own. A provider extends this class and returns its backend; one session per
 * class. Inputs from {@link Inputs} (fresh seed per run, {@code -Dcolreduce.seed=…} replays it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class TrackerConformance extends BackendUnderTest {
    /** For subclasses: one per backend. */
    protected TrackerConformance() {}

    /**
     * T1–T3 over a decode loop: a prefill of 12 tokens, then 20 steps of one token (one of two),
     * evicting to a budget of 10 with a recent window of 3 every 5 steps. At every step O and the
     * running scores match the shadow's; at every eviction the kept keys are the shadow's (up to
     * near-ties within the score tolerance) and the compacted scores are the old ones re-indexed.
     */
    @Test
    public void tracker_decodeLoopFollowsFloat64Policy() {
        for (DType t : new DType[]{DType.F32, inputs().pick(new DType[]{DType.F16, DType.BF16})}) {
            if (!session().capabilities().dtypes().contains(t)) continue;
            decodeLoop(t);
        }
    }

    private void decodeLoop(DType t) {
        int b = 2, hq = 4, hkv = 2, d = 16, dv = 8, prefill = 12, steps = 20, budget = 10, recent = 3;
        try (HeavyHitterTracker tracker = new HeavyHitterTracker(session(), b, hkv)) {
            ColumnReduction r = tracker.attention();
            Tensor k = randomTensor(t, b, hkv, prefill, d), v = randomTensor(t, b, hkv, prefill, dv);
            Tensor q = randomTensor(t, b, hq, prefill, d);
            double[] shadow = new double[0]; // [B, Hkv, n] running scores in double
            for (int step = 0; step <= steps; step++) {
                String what = t + " step " + step + " (N " + k.size(2) + ")";
                Tensor o = tracker.step(q, k, v);
                AttentionReference.Result ref = AttentionReference.attend(q, k, v, r);
                int n = (int) k.size(2);
                shadow = accumulate(shadow, ref.scores(), b * hkv, n);
                assertEquals(n, tracker.length(), context(what) + ": length");
                Compare.Errors e = Compare.measure(ref.output(), o.toFloatArray());
                double limit = t == DType.F32 ? AttendConformance.OUTPUT_F32 : AttendConformance.OUTPUT_HALF;
                assertTrue(e.nanMismatch() < 0 && e.relative() <= limit, context(what) + ": O relative Frobenius error " + e.relative() + " > " + limit);
                Compare.assertClose(shadow, tracker.scores(), new long[]{b, hkv, n}, t, context(what) + ": scores");

                if (step > 0 && step % 5 == 0) {
                    int[][][] kept = tracker.select(budget, recent);
                    float[] before = tracker.scores();
                    checkSelection(what, kept, shadow, b, hkv, n, budget, recent);
                    k = HeavyHitterTracker.gather(k, kept);
                    v = HeavyHitterTracker.gather(v, kept);
                    tracker.compact(kept);
                    shadow = compactShadow(shadow, kept, b, hkv, n);
                    float[] after = tracker.scores();
                    int count = kept[0][0].length;
                    for (int row = 0; row < b * hkv; row++)
                        for (int x = 0; x < count; x++)
                            assertEquals(before[row * n + kept[row / hkv][row % hkv][x]], after[row * count + x], 0f,
                                    context(what) + ": compacted score " + x + " of row " + row);
                    assertEquals(count, tracker.length(), context(what) + ": length after compact");
                }
                // the next token: one query and one key/value, two every fourth step (a small chunk)
                int add = step % 4 == 3 ? 2 : 1;
                q = randomTensor(t, b, hq, add, d);
                k = append(k, randomTensor(t, b, hkv, add, d));
                v = append(v, randomTensor(t, b, hkv, add, dv));
            }
        }
    }

    /** T2: the tracker's selection is the shadow's policy on double scores, up to near-ties. */
    private void checkSelection(String what, int[][][] kept, double[] shadow, int b, int hkv, int n, int budget, int recent) {
        assertEquals(b, kept.length, context(what) + ": kept batches");
        double top = Arrays.stream(shadow).map(Math::abs).max().orElse(0);
        for (int bi = 0; bi < b; bi++) {
            assertEquals(hkv, kept[bi].length, context(what) + ": kept heads");
            for (int g = 0; g < hkv; g++) {
                int row = bi * hkv + g;
                int[] actual = kept[bi][g];
                int[] expected = shadowPolicy(shadow, row * n, n, budget, recent);
                String where = context(what) + ": kept[" + bi + "][" + g + "] " + Arrays.toString(actual) + " vs shadow " + Arrays.toString(expected);
                assertEquals(Math.min(budget, n), actual.length, where);
                for (int x = 1; x < actual.length; x++) assertTrue(actual[x] > actual[x - 1], where + ": must ascend");
                for (int x = Math.max(0, n - recent); x < n; x++) assertTrue(Arrays.binarySearch(actual, x) >= 0, where + ": recent key " + x + " missing");
                if (Arrays.equals(actual, expected)) continue;
                // another choice is allowed only at the threshold: keys whose double scores tie with
                // the lowest heavy score the shadow keeps, within what one score may be off by (§7.1)
                double threshold = Double.POSITIVE_INFINITY, tol = Compare.ELEMENT_OF_MAX * top;
                for (int x : expected) if (x < n - recent) threshold = Math.min(threshold, shadow[row * n + x]);
                TreeSet<Integer> onlyActual = new TreeSet<>(), onlyExpected = new TreeSet<>();
                for (int x : actual) if (Arrays.binarySearch(expected, x) < 0) onlyActual.add(x);
                for (int x : expected) if (Arrays.binarySearch(actual, x) < 0) onlyExpected.add(x);
                for (int x : onlyActual)
                    if (shadow[row * n + x] < threshold - tol)
                        fail(where + ": key " + x + " (score " + shadow[row * n + x] + ") kept, below the threshold " + threshold);
                for (int y : onlyExpected)
                    if (shadow[row * n + y] > threshold + tol)
                        fail(where + ": key " + y + " (score " + shadow[row * n + y] + ") dropped, above the threshold " + threshold);
            }
        }
    }

    /** The policy of docs/TRACKER.md, written independently of the tracker: the newest {@code recent}, then by score, ties to the lower index. */
    private static int[] shadowPolicy(double[] s, int at, int n, int budget, int recent) {
        if (n <= budget) return IntStream.range(0, n).toArray();
        int window = Math.min(recent, n);
        List<Integer> older = new ArrayList<>();
        for (int x = 0; x < n - window; x++) older.add(x);
        older.sort(Comparator.<Integer>comparingDouble(x -> -s[at + x]).thenComparingInt(x -> x));
        TreeSet<Integer> keep = new TreeSet<>(older.subList(0, budget - window));
        for (int x = n - window; x < n; x++) keep.add(x);
        return keep.stream().mapToInt(Integer::intValue).toArray();
    }

    /** T1: running += this step's scores, the running ones zero-padded to n (SPEC §6.1). */
    private static double[] accumulate(double[] running, double[] step, int rows, int n) {
        int old = rows == 0 ? 0 : running.length / rows;
        double[] next = step.clone();
        for (int row = 0; row < rows; row++)
            for (int j = 0; j < old; j++) next[row * n + j] += running[row * old + j];
        return next;
    }

    private static double[] compactShadow(double[] s, int[][][] kept, int b, int hkv, int n) {
        int count = kept[0][0].length;
        double[] out = new double[b * hkv * count];
        for (int row = 0; row < b * hkv; row++)
            for (int x = 0; x < count; x++) out[row * count + x] = s[row * n + kept[row / hkv][row % hkv][x]];
        return out;
    }

    /** T2 and T3 reject bad arguments with the parameter named; a closed tracker is an IllegalStateException. */
    @Test
    public void tracker_rejectsBadArguments() {
        DType t = DType.F32;
        HeavyHitterTracker tracker = new HeavyHitterTracker(session(), 1, 2);
        Tensor q = randomTensor(t, 1, 4, 3, 8), k = randomTensor(t, 1, 2, 6, 8), v = randomTensor(t, 1, 2, 6, 4);
        tracker.step(q, k, v);
        float[] scores = tracker.scores();
        expect("budget", () -> tracker.select(0, 0));
        expect("recentWindow", () -> tracker.select(4, 5));
        expect("recentWindow", () -> tracker.select(4, -1));
        expect("kept", () -> tracker.compact(new int[][][]{{{0, 1}, {0, 1, 2}}}));
        expect("kept", () -> tracker.compact(new int[][][]{{{1, 0}, {0, 1}}}));
        expect("kept", () -> tracker.compact(new int[][][]{{{0, 6}, {0, 1}}}));
        expect("kept", () -> tracker.compact(new int[][][]{{{0, 1}}}));
        expect("k", () -> tracker.step(q, k.slice(2, 0, 5), v.slice(2, 0, 5)));
        expect("k", () -> tracker.step(q, randomTensor(t, 1, 1, 6, 8), v));
        assertArrayEquals(scores, tracker.scores(), context("bad arguments must leave the scores untouched"));
        tracker.step(q, k, v); // still usable
        tracker.close();
        assertThrows(IllegalStateException.class, () -> tracker.select(4, 1), context("closed tracker"));
        tracker.close(); // idempotent
    }

    private void expect(String parameter, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run, context(parameter));
        assertTrue(e.getMessage().matches("(?s).*\\b" + parameter + "\\b.*"), context(parameter) + ": message must name it: " + e.getMessage());
    }

    // ---- helpers ----

    private static Tensor append(Tensor cache, Tensor more) {
        long[] s = cache.shape();
        long n = s[2] + more.size(2);
        Tensor out = zeros(cache.dtype(), s[0], s[1], n, s[3]);
        for (int b = 0; b < s[0]; b++)
            for (int g = 0; g < s[1]; g++)
                for (int j = 0; j < n; j++)
                    for (int c = 0; c < s[3]; c++)
                        out.set(j < s[2] ? cache.get(b, g, j, c) : more.get(b, g, j - s[2], c), b, g, j, c);
        return out;
    }

    private Tensor randomTensor(DType t, int b, int h, int s, int d) { return inputs().normal(t, Layout.CONTIGUOUS, b, h, s, d, 1); }

    private static Tensor zeros(DType t, long... shape) {
        int size = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
        return switch (t) {
            case F32 -> Tensor.f32(new float[size], shape);
            case F16 -> Tensor.f16(new short[size], shape);
            case BF16 -> Tensor.bf16(new short[size], shape);
        };
    }

    private String context(String what) {
        return "backend " + testedBackend().name() + "; " + what + "; " + inputs().seedText();
    }
}
