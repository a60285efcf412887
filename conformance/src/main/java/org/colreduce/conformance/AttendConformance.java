package org.colreduce.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.colreduce.ColReduce;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.ResidentTensor;
import org.colreduce.Session;
import org.colreduce.Tensor;
import org.colreduce.spi.Availability;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The rules of SPEC §11 ({@code attend}: O = P·V and the column scores of the same P), one test
 * per rule, named after it, plus the §8 and §9 rules as they apply to V and O. A provider
 * extends this class and returns its backend; an unavailable backend skips every test with its
 * reason. Inputs are fresh random values on every run; a failure prints the seed, and
 * {@code -Dcolreduce.seed=N} replays it.
 */
public abstract class AttendConformance {
    /** SPEC §11.1: relative Frobenius error of O. */
    static final double OUTPUT_TOL_F32 = 1e-5, OUTPUT_TOL_HALF = 2e-3;
    /** SPEC §7.1: relative Frobenius error of the scores, and the largest elementwise error over the largest value. */
    static final double SCORES_TOL_F32 = 1e-5, SCORES_TOL_HALF = 1e-4, SCORES_MAX_REL = 1e-3;

    private static final List<Mask> MASKS = List.of(Mask.none(), Mask.causal(), Mask.causal(Mask.Alignment.TOP_LEFT),
            Mask.slidingWindow(5), Mask.slidingWindow(7, Mask.Alignment.TOP_LEFT));

    /** The backend under test. Cheap: called once per test. */
    protected abstract ColReduceBackend backend();

    private Session session;
    private long seed;
    private Random random;
    private String test;

    @BeforeEach
    void openSession(TestInfo info) {
        ColReduceBackend backend = backend();
        Availability a = backend.availability();
        Assumptions.assumeTrue(a.available(), () -> "backend '" + backend.name() + "' unavailable: " + a.reason());
        session = ColReduce.open(backend);
        Long fixed = Long.getLong("colreduce.seed");
        seed = fixed != null ? fixed : new Random().nextLong() ^ System.nanoTime();
        random = new Random(seed);
        test = info.getDisplayName();
    }

    @AfterEach
    void closeSession() {
        if (session != null) session.close();
    }

    /** SPEC §11.1: O against the float64 reference, every input type, Dv ≠ D, GQA/MQA, strided views, F32 output or the inputs' type. */
    @Test
    public void spec11_1_outputMatchesReference() {
        for (DType t : DType.values()) {
            if (!session.capabilities().dtypes().contains(t)) continue;
            ColumnReduction causal = ColumnReduction.builder().mask(Mask.causal()).build();
            check(new Case(t, t, 2, 4, 4, 33, 47, 64, 64, false, causal));              // plain multi-head
            check(new Case(t, DType.F32, 1, 6, 2, 17, 70, 40, 24, false, causal));      // GQA, Dv < D
            check(new Case(t, DType.F32, 2, 4, 1, 5, 90, 16, 80, false, ColumnReduction.sum())); // MQA, Dv > D
            check(new Case(t, t, 1, 4, 2, 9, 61, 3, 7, true, causal));                  // odd D and Dv, [B, M, H, D] views
            check(new Case(t, DType.F32, 1, 2, 2, 1, 257, 128, 96, false, causal));     // one decode query
            check(new Case(t, t, 1, 2, 1, 64, 64, 256, 256, false, causal));            // the largest head dimension
        }
        // peaky logits (large scale) stay finite and accurate
        check(new Case(DType.F32, DType.F32, 1, 2, 2, 20, 40, 32, 32, false,
                ColumnReduction.builder().mask(Mask.causal()).scale(4.0).build()));
    }

    /** SPEC §11.2: the scores of {@code attend} are {@code columnReduce}'s on the same inputs, for every reduction and head reduction. */
    @Test
    public void spec11_2_scoresMatchColumnReduce() {
        for (Reduction red : Reduction.values()) {
            for (HeadReduction heads : HeadReduction.values()) {
                if (red == Reduction.MAX && heads != HeadReduction.NONE) continue;
                Mask mask = MASKS.get(random.nextInt(MASKS.size()));
                DType t = pick(DType.values());
                ColumnReduction r = ColumnReduction.builder().reduction(red).heads(heads).mask(mask)
                        .keyLengths(30, 19).queryLengths(12, 7).build();
                Case c = new Case(t, DType.F32, 2, 6, 3, 12, 30, 24, 20, false, r);
                Result res = check(c);
                Tensor[] in = res.inputs;
                Tensor expected = Tensor.zerosF32(Session.outputShape(in[0], in[1], heads));
                session.columnReduce(in[0], in[1], r, expected);
                compareScores(c.describe() + ": attend scores vs columnReduce", res.scores.toFloatArray(), toDouble(expected.toFloatArray()), t);
            }
        }
    }

    /** SPEC §11.3: a row that sees no key gives O = 0 (and no column gets anything from it), under every mask of §3. */
    @Test
    public void spec11_3_rowWithNoKeyGivesZero() {
        for (Mask mask : MASKS) {
            DType t = pick(DType.values());
            // batch 0: query lengths leave rows out; batch 1: no key at all; batch 2: fewer keys than
            // queries, so a causal or windowed mask leaves the first or last rows with nothing
            ColumnReduction r = ColumnReduction.builder().mask(mask).heads(HeadReduction.GROUP_SUM)
                    .queryLengths(9, 16, 16).keyLengths(20, 0, 3).build();
            Case c = new Case(t, t, 3, 4, 2, 16, 20, 16, 12, false, r);
            Result res = check(c);
            float[] o = res.output.toFloatArray();
            int rowsWithNothing = 0;
            int[] lenQ = r.queryLengths(), lenK = r.keyLengths();
            for (int b = 0; b < c.b; b++)
                for (int h = 0; h < c.hq; h++)
                    for (int i = 0; i < c.m; i++) {
                        if (mask.firstKey(i, lenQ[b], lenK[b]) <= mask.lastKey(i, lenQ[b], lenK[b])) continue;
                        rowsWithNothing++;
                        for (int x = 0; x < c.dv; x++) {
                            float value = o[((b * c.hq + h) * c.m + i) * c.dv + x];
                            if (value != 0) fail(context(c.describe()) + ": O[" + b + ", " + h + ", " + i + ", " + x + "] = " + value + " for a row that sees no key");
                        }
                    }
            assertTrue(rowsWithNothing > 0, "the case must have rows that see no key");
        }
    }

    /** SPEC §11.4: scores added to previous ones, shorter (zero-padded), as long, and in place; a decode loop of appended keys. */
    @Test
    public void spec11_4_accumulateScores() {
        for (HeadReduction heads : new HeadReduction[]{HeadReduction.NONE, HeadReduction.GROUP_SUM, HeadReduction.MEAN}) {
            DType t = pick(DType.values());
            ColumnReduction r = ColumnReduction.builder().heads(heads).mask(Mask.causal()).build();
            for (int previousLength : new int[]{1, 23, 40}) {
                Case c = new Case(t, DType.F32, 2, 4, 2, 6, 40, 32, 16, false, r);
                long[] shape = c.scoresShape();
                long[] prevShape = shape.clone();
                prevShape[prevShape.length - 1] = previousLength;
                float[] prev = randomArray(Math.toIntExact(Arrays.stream(prevShape).reduce(1, Math::multiplyExact)), 2f, true);
                check(c, Tensor.f32(prev.clone(), prevShape), false);
                if (previousLength == c.n) check(c, Tensor.f32(prev.clone(), prevShape), true);
            }
        }
        // a decode loop: one query per step, one key appended per step, scores accumulated
        DType t = pick(DType.values());
        ColumnReduction r = ColumnReduction.builder().heads(HeadReduction.GROUP_SUM).mask(Mask.causal()).build();
        int b = 1, hq = 4, hkv = 2, d = 16, dv = 8, first = 5, steps = 6;
        Tensor kAll = randomTensor(t, new long[]{b, hkv, first + steps, d}, 1f, false);
        Tensor vAll = randomTensor(t, new long[]{b, hkv, first + steps, dv}, 1f, false);
        float[] running = null;
        for (int s = 0; s < steps; s++) {
            int n = first + s + 1;
            Tensor q = randomTensor(t, new long[]{b, hq, 1, d}, 1f, false);
            Tensor k = kAll.slice(2, 0, n), v = vAll.slice(2, 0, n);
            Tensor o = Tensor.zerosF32(b, hq, 1, dv), scores = Tensor.zerosF32(b, hkv, n);
            Tensor prev = running == null ? null : Tensor.f32(running, b, hkv, n - 1);
            session.attend(q, k, v, r, o, scores, prev);
            AttentionReference.Result ref = AttentionReference.attend(q, k, v, r, running, n - 1);
            String what = "decode step " + s + " (" + t + ", N " + n + ")";
            compareOutput(what, o.toFloatArray(), ref.output(), t, DType.F32);
            compareScores(what, scores.toFloatArray(), ref.scores(), t);
            running = scores.toFloatArray();
        }
    }

    /** SPEC §7.3 for V: a NaN in V makes NaN exactly the outputs that read it (rows that see that key, that column); the rest and the scores stay finite. */
    @Test
    public void spec7_3_nanInValueReachesOnlyRowsThatSeeIt() {
        for (Mask mask : MASKS) {
            DType t = pick(DType.values());
            int m = 40, n = 40, dv = 12, key = 17, column = 5;
            ColumnReduction r = ColumnReduction.builder().mask(mask).build();
            Tensor q = randomTensor(t, new long[]{1, 2, m, 16}, 1f, false), k = randomTensor(t, new long[]{1, 1, n, 16}, 1f, false);
            Tensor v = randomTensor(t, new long[]{1, 1, n, dv}, 1f, false);
            v.set(Float.NaN, 0, 0, key, column);
            Tensor o = sentinel(DType.F32, new long[]{1, 2, m, dv}), s = sentinel(DType.F32, new long[]{1, 2, n});
            session.attend(q, k, v, r, o, s, null);
            AttentionReference.Result ref = AttentionReference.attend(q, k, v, r);
            String what = context(t + " " + mask + ": NaN at v[0, 0, " + key + ", " + column + "]");
            float[] out = o.toFloatArray();
            double[] finite = ref.output().clone();
            for (int h = 0; h < 2; h++)
                for (int i = 0; i < m; i++)
                    for (int c = 0; c < dv; c++) {
                        int at = (h * m + i) * dv + c;
                        boolean reads = c == column && mask.visible(i, key, m, n);
                        if (reads != Float.isNaN(out[at]))
                            fail(what + ": O[0, " + h + ", " + i + ", " + c + "] = " + out[at] + (reads ? " but the row sees the NaN" : " but the row does not see the NaN"));
                        if (reads) { out[at] = 0; finite[at] = 0; }
                    }
            compareOutput(what, out, finite, t, DType.F32);
            compareScores(what, s.toFloatArray(), ref.scores(), t);
        }
    }

    /** SPEC §9 for attend: a bad V or output is an IllegalArgumentException naming it and the values; nothing is written; the session stays usable. */
    @Test
    public void spec9_attendRejectsBadValueOrOutput() {
        int b = 2, hq = 4, hkv = 2, m = 5, n = 9, d = 8, dv = 6;
        Tensor q = randomTensor(DType.F32, new long[]{b, hq, m, d}, 1f, false);
        Tensor k = randomTensor(DType.F32, new long[]{b, hkv, n, d}, 1f, false);
        Tensor v = randomTensor(DType.F32, new long[]{b, hkv, n, dv}, 1f, false);
        ColumnReduction r = ColumnReduction.sum();
        float[] shared = new float[b * hkv * n * dv + b * hq * m * dv];
        Tensor vInShared = Tensor.f32(shared, b, hkv, n, dv);
        Tensor outOverV = Tensor.of(vInShared.segment(), DType.F32, 7, new long[]{b, hq, m, dv}, Tensor.contiguousStrides(b, hq, m, dv));

        record Bad(String what, Tensor v, Tensor output, String... mentions) {}
        List<Bad> cases = List.of(
                new Bad("v of rank 3", Tensor.zerosF32(b, hkv, n), null, "v", "[" + b + ", " + hkv + ", " + n + "]"),
                new Bad("v with another batch", Tensor.zerosF32(b + 1, hkv, n, dv), null, "v", "[" + (b + 1) + ", " + hkv + ", " + n + ", " + dv + "]"),
                new Bad("v with another KV head count", Tensor.zerosF32(b, hkv + 1, n, dv), null, "v", String.valueOf(hkv + 1)),
                new Bad("v with fewer keys", Tensor.zerosF32(b, hkv, n - 1, dv), null, "v", String.valueOf(n - 1)),
                new Bad("v of another dtype", Tensor.f16(new short[b * hkv * n * dv], b, hkv, n, dv), null, "v", "F16"),
                new Bad("Dv over 256", Tensor.zerosF32(b, hkv, n, 257), null, "Dv", "257"),
                new Bad("output with another Dv", null, Tensor.zerosF32(b, hq, m, dv + 1), "output", String.valueOf(dv + 1)),
                new Bad("output with another M", null, Tensor.zerosF32(b, hq, m + 2, dv), "output", String.valueOf(m + 2)),
                new Bad("output of another dtype", null, Tensor.bf16(new short[b * hq * m * dv], b, hq, m, dv), "output", "BF16"),
                new Bad("output overlapping v", vInShared, outOverV, "output", "v"));
        for (Bad bad : cases) {
            Tensor vv = bad.v == null ? v : bad.v;
            Tensor out = bad.output == null ? sentinel(DType.F32, new long[]{b, hq, m, dv}) : bad.output;
            if (bad.output != null && bad.output != outOverV) fillSentinel(out);
            Tensor scores = sentinel(DType.F32, new long[]{b, hq, n});
            float[] outBefore = out.toFloatArray(), scoresBefore = scores.toFloatArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> session.attend(q, k, vv, r, out, scores, null), context(bad.what));
            for (String s : bad.mentions)
                assertTrue(e.getMessage().contains(s), context(bad.what) + ": message must mention '" + s + "': " + e.getMessage());
            assertTrue(e.getMessage().matches("(?s).*\\b(v|Dv|output)\\b.*"), context(bad.what) + ": message must name the parameter: " + e.getMessage());
            assertArrayEquals(outBefore, out.toFloatArray(), context(bad.what) + ": output must stay untouched");
            assertArrayEquals(scoresBefore, scores.toFloatArray(), context(bad.what) + ": scores must stay untouched");
        }
        IllegalArgumentException nullV = assertThrows(IllegalArgumentException.class,
                () -> session.attend(q, k, null, r, Tensor.zerosF32(b, hq, m, dv), Tensor.zerosF32(b, hq, n), null), context("null v"));
        assertTrue(nullV.getMessage().startsWith("v "), context("null v") + ": " + nullV.getMessage());
        nullV = assertThrows(IllegalArgumentException.class, () -> session.attend(q, k, null, r), context("null v, new outputs"));
        assertTrue(nullV.getMessage().startsWith("v "), context("null v, new outputs") + ": " + nullV.getMessage());
        // the session is still usable
        check(new Case(DType.F32, DType.F32, b, hq, hkv, m, n, d, dv, false, r));
    }

    /** SPEC §8.1 for attend: the same inputs give the same bits, call after call. */
    @Test
    public void spec8_1_attendIsDeterministic() {
        DType t = pick(DType.values());
        ColumnReduction r = ColumnReduction.builder().heads(HeadReduction.GROUP_SUM).mask(Mask.causal()).build();
        Case c = new Case(t, DType.F32, 2, 8, 2, 150, 300, 64, 48, false, r);
        Result first = check(c);
        for (int run = 0; run < 3; run++) {
            Tensor o = sentinel(DType.F32, c.outputShape()), s = sentinel(DType.F32, c.scoresShape());
            session.attend(first.inputs[0], first.inputs[1], first.inputs[2], r, o, s, null);
            assertBitwiseEqual(context(c.describe() + " run " + run + ": O"), first.output.toFloatArray(), o.toFloatArray());
            assertBitwiseEqual(context(c.describe() + " run " + run + ": scores"), first.scores.toFloatArray(), s.toFloatArray());
        }
    }

    /** SPEC §10.1 for attend: resident Q, K, V, output, scores and previous scores give the host views' results. */
    @Test
    public void spec10_1_attendWithResidentTensors() {
        DType t = pick(DType.values());
        ColumnReduction r = ColumnReduction.builder().heads(HeadReduction.GROUP_SUM).mask(Mask.causal()).build();
        Case c = new Case(t, DType.F32, 2, 4, 2, 7, 33, 32, 24, false, r);
        Tensor q = randomTensor(t, c.qShape(), 1f, false), k = randomTensor(t, c.kShape(), 1f, false), v = randomTensor(t, c.vShape(), 1f, false);
        float[] prev = randomArray(c.b * c.hkv * 20, 1f, true);
        try (ResidentTensor rq = session.upload(q); ResidentTensor rk = session.upload(k); ResidentTensor rv = session.upload(v);
             ResidentTensor ro = session.allocate(DType.F32, c.outputShape()); ResidentTensor rs = session.allocate(DType.F32, c.scoresShape());
             ResidentTensor rp = session.upload(Tensor.f32(prev, c.b, c.hkv, 20))) {
            session.attend(rq, rk, rv, r, ro, rs, rp);
            AttentionReference.Result ref = AttentionReference.attend(q, k, v, r, prev, 20);
            compareOutput(c.describe() + " resident", session.download(ro), ref.output(), t, DType.F32);
            compareScores(c.describe() + " resident", session.download(rs), ref.scores(), t);
            // in place on the device: scores += this call's scores
            try (ResidentTensor running = session.upload(Tensor.f32(session.download(rs), c.scoresShape()))) {
                session.attend(rq, rk, rv, r, ro, running, running);
                double[] twice = ref.scores().clone();
                AttentionReference.Result once = AttentionReference.attend(q, k, v, r);
                for (int x = 0; x < twice.length; x++) twice[x] += once.scores()[x];
                compareScores(c.describe() + " resident, in place", session.download(running), twice, t);
            }
        }
    }

    // ---- cases, inputs and comparison ----

    /** One attend call's shapes, types and options; {@code viewed} reads Q, K and V through [B, M, H, D] buffers. */
    record Case(DType type, DType outputType, int b, int hq, int hkv, int m, int n, int d, int dv, boolean viewed, ColumnReduction r) {
        long[] qShape() { return new long[]{b, hq, m, d}; }
        long[] kShape() { return new long[]{b, hkv, n, d}; }
        long[] vShape() { return new long[]{b, hkv, n, dv}; }
        long[] outputShape() { return new long[]{b, hq, m, dv}; }
        long[] scoresShape() {
            return switch (r.heads()) {
                case NONE -> new long[]{b, hq, n};
                case SUM, MEAN -> new long[]{b, n};
                case GROUP_SUM, GROUP_MEAN -> new long[]{b, hkv, n};
            };
        }
        String describe() {
            return type + "→" + outputType + " B" + b + " Hq" + hq + " Hkv" + hkv + " M" + m + " N" + n + " D" + d + " Dv" + dv
                    + (viewed ? " [B,M,H,D] views" : "") + " " + r;
        }
    }

    private record Result(Tensor[] inputs, Tensor output, Tensor scores) {}

    private Result check(Case c) { return check(c, null, false); }

    /** Runs one case (with previous scores, in place when asked) and compares O and the scores with the reference. */
    private Result check(Case c, Tensor previous, boolean inPlace) {
        Tensor q = randomTensor(c.type, c.qShape(), 1f, c.viewed);
        Tensor k = randomTensor(c.type, c.kShape(), 1f, c.viewed);
        Tensor v = randomTensor(c.type, c.vShape(), 1f, c.viewed);
        Tensor o = sentinel(c.outputType, c.outputShape());
        Tensor s = inPlace ? previous : sentinel(DType.F32, c.scoresShape());
        float[] prev = previous == null ? null : previous.toFloatArray();
        int prevLength = previous == null ? 0 : (int) previous.size(previous.rank() - 1);
        session.attend(q, k, v, c.r, o, s, previous);
        AttentionReference.Result ref = AttentionReference.attend(q, k, v, c.r, prev, prevLength);
        String what = c.describe() + (previous == null ? "" : (inPlace ? " in place" : "") + " + previous of " + prevLength);
        compareOutput(what, o.toFloatArray(), ref.output(), c.type, c.outputType);
        compareScores(what, s.toFloatArray(), ref.scores(), c.type);
        return new Result(new Tensor[]{q, k, v}, o, s);
    }

    private void compareOutput(String what, float[] actual, double[] expected, DType input, DType output) {
        // the final rounding of O to F16/BF16 adds at most that type's unit roundoff to the relative error
        double tol = (input == DType.F32 ? OUTPUT_TOL_F32 : OUTPUT_TOL_HALF) + unitRoundoff(output);
        compare(what + ": O", actual, expected, tol, Double.POSITIVE_INFINITY);
    }

    private void compareScores(String what, float[] actual, double[] expected, DType input) {
        compare(what + ": scores", actual, expected, input == DType.F32 ? SCORES_TOL_F32 : SCORES_TOL_HALF, SCORES_MAX_REL);
    }

    private void compare(String what, float[] actual, double[] expected, double relFrobenius, double maxRel) {
        assertEquals(expected.length, actual.length, context(what) + ": length");
        double err = 0, norm = 0, maxErr = 0, maxRef = 0;
        int worst = -1;
        for (int x = 0; x < actual.length; x++) {
            if (!Float.isFinite(actual[x])) fail(context(what) + ": element " + x + " is " + actual[x] + " (reference " + expected[x] + ")");
            double e = Math.abs(actual[x] - expected[x]);
            err += e * e;
            norm += expected[x] * expected[x];
            maxRef = Math.max(maxRef, Math.abs(expected[x]));
            if (e > maxErr) { maxErr = e; worst = x; }
        }
        if (norm == 0) {
            if (err != 0) fail(context(what) + ": the reference is all zero but element " + worst + " is " + actual[worst]);
            return;
        }
        double rel = Math.sqrt(err / norm);
        if (rel > relFrobenius)
            fail(context(what) + ": relative Frobenius error " + rel + " > " + relFrobenius + "; worst element " + worst + " = " + actual[worst] + ", reference " + expected[worst]);
        if (maxErr > maxRel * maxRef)
            fail(context(what) + ": largest error " + maxErr + " at " + worst + " > " + maxRel + " × largest value " + maxRef);
    }

    private static double unitRoundoff(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 0x1p-11;
            case BF16 -> 0x1p-8;
        };
    }

    private void assertBitwiseEqual(String what, float[] expected, float[] actual) {
        for (int x = 0; x < expected.length; x++)
            if (Float.floatToRawIntBits(expected[x]) != Float.floatToRawIntBits(actual[x]))
                fail(what + ": element " + x + " differs: " + expected[x] + " then " + actual[x]);
    }

    private String context(String what) {
        return test + ": " + what + " [seed " + seed + "; replay with -Dcolreduce.seed=" + seed + "]";
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        List<T> usable = new ArrayList<>();
        for (T o : options) if (!(o instanceof DType t) || session.capabilities().dtypes().contains(t)) usable.add(o);
        return usable.get(random.nextInt(usable.size()));
    }

    private float[] randomArray(int size, float scale, boolean positive) {
        float[] a = new float[size];
        for (int x = 0; x < size; x++) a[x] = positive ? scale * random.nextFloat() : (float) (scale * random.nextGaussian());
        return a;
    }

    /** A tensor of random normal values in the given type; {@code viewed} lays it out as [B, X, H, Y] and returns the transposed view. */
    private Tensor randomTensor(DType t, long[] shape, float scale, boolean viewed) {
        long[] stored = viewed ? new long[]{shape[0], shape[2], shape[1], shape[3]} : shape;
        Tensor tensor = zeros(t, stored);
        float[] values = randomArray(Math.toIntExact(tensor.elementCount()), scale, false);
        for (int x = 0; x < values.length; x++) tensor.setAt(x, values[x]);
        return viewed ? tensor.transpose(1, 2) : tensor;
    }

    private static Tensor zeros(DType t, long[] shape) {
        int size = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
        return switch (t) {
            case F32 -> Tensor.f32(new float[size], shape);
            case F16 -> Tensor.f16(new short[size], shape);
            case BF16 -> Tensor.bf16(new short[size], shape);
        };
    }

    /** A tensor filled with NaN, so that anything a backend fails to write shows. */
    private static Tensor sentinel(DType t, long[] shape) {
        Tensor tensor = zeros(t, shape);
        fillSentinel(tensor);
        return tensor;
    }

    private static void fillSentinel(Tensor t) {
        for (long x = 0; x < t.elementCount(); x++) t.setAt(x, Float.NaN);
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int x = 0; x < a.length; x++) d[x] = a[x];
        return d;
    }
}
