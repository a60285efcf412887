package org.colreduce.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;
import org.colreduce.conformance.Inputs.Layout;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rules of SPEC §11 ({@code attend}: O = P·V and the column scores of the same P), one test
 * per rule, named after it, plus §7.3, §8.1, §9 and §10.1 as they apply to V and O. A backend's
 * tests extend it like {@link ColReduceConformance}:
 *
 * <pre>{@code
 * class CpuAttendConformanceTest extends AttendConformance {
 *     protected ColReduceBackend backend() { return new CpuBackend(); }
 * }
 * }</pre>
 *
 * One session per test class; an unavailable backend skips every test with its reason. Inputs
 * come from {@link Inputs} (fresh seed per run, {@code -Dcolreduce.seed=…} replays it); O is
 * checked against {@link AttentionReference} with the §11.1 tolerances, the scores with
 * {@link Compare} (§7.1).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AttendConformance extends BackendUnderTest {
    /** SPEC §11.1: relative Frobenius error of O for F32 inputs, and for F16/BF16 inputs. */
    public static final double OUTPUT_F32 = 1e-5, OUTPUT_HALF = 2e-3;
    /** Written into outputs before a call: any element the backend fails to write shows up. */
    protected static final float SENTINEL = -7777.25f;

    private static final Mask[] MASKS = {Mask.none(), Mask.causal(), Mask.causal(Mask.Alignment.TOP_LEFT),
            Mask.slidingWindow(5), Mask.slidingWindow(7, Mask.Alignment.TOP_LEFT)};

    /** For subclasses: one per backend. */
    protected AttendConformance() {}

    /** One attend call: Q, K, V, the options, the type of O, and where it came from. */
    public record AttendCase(String label, Inputs inputs, Tensor q, Tensor k, Tensor v, ColumnReduction spec, DType outputType) {
        public long[] outputShape() { return new long[]{q.size(0), q.size(1), q.size(2), v.size(3)}; }

        public long[] scoresShape() { return Reference.outputShape(q, k, spec.heads()); }

        public AttendCase with(ColumnReduction other) { return new AttendCase(label, inputs, q, k, v, other, outputType); }

        public String describe() {
            return label + "; " + inputs.seedText() + "; q " + layout(q) + "; k " + layout(k) + "; v " + layout(v) + "; O " + outputType + "; " + spec;
        }

        private static String layout(Tensor t) {
            return t.dtype() + " " + Arrays.toString(t.shape()) + (t.isContiguous() && t.offset() == 0 ? "" : " strides " + Arrays.toString(t.strides()));
        }
    }

    // ================================================================= §11.1 output

    @ParameterizedTest
    @EnumSource(DType.class)
    public void spec11_1_outputMatchesReference(DType t) {
        Assumptions.assumeTrue(session().capabilities().dtypes().contains(t), () -> testedBackend().name() + " does not offer " + t);
        ColumnReduction.Builder causal = ColumnReduction.builder().mask(Mask.causal());
        check(attendCase("multi-head", t, t, Layout.CONTIGUOUS, 2, 4, 4, 33, 47, 64, 64, causal));
        check(attendCase("GQA, Dv < D", t, DType.F32, inputs().pick(Inputs.VIEW_LAYOUTS), 1, 6, 2, 17, 70, 40, 24, causal));
        check(attendCase("MQA, Dv > D, no mask", t, DType.F32, inputs().pick(Inputs.VIEW_LAYOUTS), 2, 4, 1, 5, 90, 16, 80, ColumnReduction.builder()));
        check(attendCase("odd D and Dv, [B, M, H, D] views", t, t, Layout.TRANSPOSED, 1, 4, 2, 9, 61, 3, 7, causal));
        check(attendCase("one decode query", t, DType.F32, Layout.CONTIGUOUS, 1, 2, 2, 1, 257, 128, 96, causal));
        check(attendCase("largest head dims", t, t, Layout.CONTIGUOUS, 1, 2, 1, 40, 40, 256, 256, causal));
        check(attendCase("Dv = 1", t, DType.F32, Layout.CONTIGUOUS, 1, 2, 1, 20, 20, 8, 1, causal));
        check(attendCase("peaky logits", t, DType.F32, Layout.CONTIGUOUS, 1, 2, 2, 20, 40, 32, 32, ColumnReduction.builder().mask(Mask.causal()).scale(8 / Math.sqrt(32))));
    }

    // ================================================================= §11.2 scores

    @ParameterizedTest
    @EnumSource(Reduction.class)
    public void spec11_2_scoresMatchColumnReduce(Reduction reduction) {
        for (HeadReduction heads : HeadReduction.values()) {
            if (reduction == Reduction.MAX && heads != HeadReduction.NONE) continue;
            DType t = supported(inputs().pick(DType.values()));
            int b = 2, m = inputs().between(1, 20), n = inputs().between(1, 40);
            ColumnReduction.Builder spec = ColumnReduction.builder().reduction(reduction).heads(heads).mask(inputs().mask(n));
            if (inputs().random().nextBoolean()) spec.queryLengths(inputs().lengths(b, m));
            if (inputs().random().nextBoolean()) spec.keyLengths(inputs().lengths(b, n));
            AttendCase c = attendCase("scores", t, DType.F32, inputs().pick(Inputs.VIEW_LAYOUTS), b, 6, 3, m, n, 24, 20, spec);
            Result r = check(c);
            Tensor columns = Inputs.filledF32(SENTINEL, c.scoresShape());
            session().columnReduce(c.q(), c.k(), c.spec(), columns);
            Compare.assertClose(Compare.widen(columns.toFloatArray()), r.scores(), c.scoresShape(), t,
                    "SPEC 11.2: attend's scores against columnReduce's; " + context(c));
        }
    }

    // ================================================================= §11.3 rows that see nothing

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4})
    public void spec11_3_rowWithNoKeyGivesZero(int maskIndex) {
        Mask mask = MASKS[maskIndex];
        DType t = supported(inputs().pick(DType.values()));
        // batch 0: query lengths leave rows out; batch 1: no key at all; batch 2: fewer keys than
        // queries, so a causal or windowed mask leaves the first or the last rows with nothing
        int[] lenQ = {9, 16, 16}, lenK = {20, 0, 3};
        ColumnReduction.Builder spec = ColumnReduction.builder().mask(mask).heads(HeadReduction.GROUP_SUM).queryLengths(lenQ).keyLengths(lenK);
        AttendCase c = attendCase("rows that see no key, " + mask, t, t, Layout.CONTIGUOUS, 3, 4, 2, 16, 20, 16, 12, spec);
        float[] o = check(c).output();
        int empty = 0;
        for (int b = 0; b < 3; b++)
            for (int h = 0; h < 4; h++)
                for (int i = 0; i < 16; i++) {
                    boolean sees = false;
                    for (int j = 0; j < 20 && !sees; j++) sees = Reference.visible(mask, i, j, lenQ[b], lenK[b]);
                    if (sees) continue;
                    empty++;
                    for (int x = 0; x < 12; x++) {
                        float value = o[((b * 4 + h) * 16 + i) * 12 + x];
                        if (value != 0) fail("SPEC 11.3: O[" + b + ", " + h + ", " + i + ", " + x + "] = " + value + " for a row that sees no key; " + context(c));
                    }
                }
        assertTrue(empty > 0, "test defect: no row without a key; " + context(c));
    }

    // ================================================================= §11.4 accumulation

    @ParameterizedTest
    @EnumSource(value = HeadReduction.class, names = {"NONE", "GROUP_SUM", "MEAN"})
    public void spec11_4_accumulateScores(HeadReduction heads) {
        DType t = supported(inputs().pick(DType.values()));
        ColumnReduction.Builder spec = ColumnReduction.builder().heads(heads).mask(Mask.causal());
        AttendCase c = attendCase("accumulate", t, DType.F32, Layout.CONTIGUOUS, 2, 4, 2, 6, 40, 32, 16, spec);
        for (int length : new int[]{1, 23, 40}) check(c, inputs().previous(c.scoresShape(), length), false);
        check(c, inputs().previous(c.scoresShape(), 40), true); // in place: scores and previous the same view
    }

    @Test
    public void spec11_4_accumulateOverDecodeSteps() {
        // one query and one appended key per step, the scores carried from step to step
        DType t = supported(inputs().pick(DType.values()));
        int b = 1, hq = 4, hkv = 2, d = 16, dv = 8, first = 5, steps = 6;
        ColumnReduction r = ColumnReduction.builder().heads(HeadReduction.GROUP_SUM).mask(Mask.causal()).build();
        Tensor kAll = inputs().normal(t, Layout.CONTIGUOUS, b, hkv, first + steps, d, 1), vAll = inputs().normal(t, Layout.CONTIGUOUS, b, hkv, first + steps, dv, 1);
        Tensor running = null;
        for (int s = 0; s < steps; s++) {
            int n = first + s + 1;
            AttendCase c = new AttendCase("decode step " + s, inputs(), inputs().normal(t, Layout.CONTIGUOUS, b, hq, 1, d, 1),
                    kAll.slice(2, 0, n), vAll.slice(2, 0, n), r, DType.F32);
            running = check(c, running, false).scoresTensor();
        }
    }

    // ================================================================= §7.3, §8.1 for V and O

    @ParameterizedTest(name = "mask {0}, {1}")
    @CsvSource({"0, NaN", "1, NaN", "2, NaN", "3, NaN", "4, NaN", "0, Infinity", "1, -Infinity", "2, Infinity", "3, -Infinity", "4, Infinity"})
    public void spec7_3_nonFiniteValueReachesOnlyRowsThatSeeIt(int maskIndex, float bad) {
        // an Inf too gives NaN: IEEE arithmetic alone would give ±Inf, or NaN where p rounds to 0
        Mask mask = MASKS[maskIndex];
        DType t = supported(inputs().pick(DType.values()));
        int m = 40, n = 40, dv = 12, key = 17, column = 5;
        AttendCase c = attendCase(bad + " at v[0, 0, " + key + ", " + column + "], " + mask, t, DType.F32, Layout.CONTIGUOUS, 1, 2, 1, m, n, 16, dv,
                ColumnReduction.builder().mask(mask));
        c.v().set(bad, 0, 0, key, column);
        Result r = run(c, null, false);
        AttentionReference.Result ref = AttentionReference.attend(c.q(), c.k(), c.v(), c.spec());
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < m; i++)
                for (int x = 0; x < dv; x++) {
                    int at = (h * m + i) * dv + x;
                    boolean reads = x == column && Reference.visible(mask, i, key, m, n);
                    if (reads != Float.isNaN(r.output()[at]))
                        fail("SPEC 7.3: O[0, " + h + ", " + i + ", " + x + "] = " + r.output()[at]
                                + (reads ? ", not NaN, but the row sees the " + bad : ", but the row does not see the " + bad) + "; " + context(c));
                    assertTrue(reads == Double.isNaN(ref.output()[at]), "test defect: the reference disagrees at " + at);
                }
        checkOutput(c, ref.output(), r.output());
        Compare.assertClose(ref.scores(), r.scores(), c.scoresShape(), t, "SPEC 7.3: V does not enter the scores; " + context(c));
    }

    @Test
    public void spec8_1_attendIsDeterministic() {
        // large enough that a parallel backend splits rows, keys and heads over its workers
        DType t = supported(inputs().pick(DType.values()));
        AttendCase c = attendCase("determinism", t, DType.F32, Layout.TRANSPOSED, 2, 4, 2, 96, 200, 32, 24,
                ColumnReduction.builder().heads(HeadReduction.GROUP_SUM).mask(Mask.causal()));
        Result first = run(c, null, false);
        for (int again = 1; again < 3; again++) {
            Result next = run(c, null, false);
            assertSameBits("O", c.outputShape(), first.output(), next.output(), again, c);
            assertSameBits("scores", c.scoresShape(), first.scores(), next.scores(), again, c);
        }
        for (float x : first.output()) assertTrue(Float.isFinite(x), "SPEC 7.2: O not finite; " + context(c));
    }

    // ================================================================= §9 bad V or output

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"v rank 3", "v batch", "v KV heads", "v keys", "v dtype", "Dv 257", "v null",
            "output Dv", "output M", "output dtype", "output overlaps v", "output overlaps q", "scores overlap v"})
    public void spec9_badValueOrOutput(String what) {
        int b = 2, hq = 4, hkv = 2, m = 5, n = 9, d = 8, dv = 6;
        Tensor q = inputs().normal(DType.F32, Layout.CONTIGUOUS, b, hq, m, d, 1), k = inputs().normal(DType.F32, Layout.CONTIGUOUS, b, hkv, n, d, 1);
        Tensor v = inputs().normal(DType.F32, Layout.CONTIGUOUS, b, hkv, n, dv, 1);
        Tensor out = Inputs.filledF32(SENTINEL, b, hq, m, dv), scores = Inputs.filledF32(SENTINEL, b, hq, n);
        ColumnReduction r = ColumnReduction.sum();
        // one buffer holding v, then room for an output or scores that overlaps it
        float[] shared = new float[b * hkv * n * dv + b * hq * m * dv];
        Tensor vShared = Tensor.f32(shared, b, hkv, n, dv);
        long[] outShape = {b, hq, m, dv}, scoresShape = {b, hq, n};
        switch (what) {
            case "v rank 3" -> rejected(() -> session().attend(q, k, Tensor.zerosF32(b, hkv, n), r, out, scores, null), out, scores, "v", "[2, 2, 9]");
            case "v batch" -> rejected(() -> session().attend(q, k, Tensor.zerosF32(b + 1, hkv, n, dv), r, out, scores, null), out, scores, "v", "[3, 2, 9, 6]");
            case "v KV heads" -> rejected(() -> session().attend(q, k, Tensor.zerosF32(b, hkv + 1, n, dv), r, out, scores, null), out, scores, "v", "[2, 3, 9, 6]");
            case "v keys" -> rejected(() -> session().attend(q, k, Tensor.zerosF32(b, hkv, n - 1, dv), r, out, scores, null), out, scores, "v", "[2, 2, 8, 6]");
            case "v dtype" -> rejected(() -> session().attend(q, k, Tensor.f16(new short[b * hkv * n * dv], b, hkv, n, dv), r, out, scores, null), out, scores, "v", "F16");
            case "Dv 257" -> rejected(() -> session().attend(q, k, Tensor.zerosF32(b, hkv, n, 257), r, out, scores, null), out, scores, "Dv", "257");
            case "v null" -> {
                rejected(() -> session().attend(q, k, null, r, out, scores, null), out, scores, "v");
                rejected(() -> session().attend(q, k, null, r), out, scores, "v");
            }
            case "output Dv" -> rejected(() -> session().attend(q, k, v, r, Inputs.filledF32(SENTINEL, b, hq, m, dv + 1), scores, null), out, scores, "output", "7");
            case "output M" -> rejected(() -> session().attend(q, k, v, r, Inputs.filledF32(SENTINEL, b, hq, m + 2, dv), scores, null), out, scores, "output", "7");
            case "output dtype" -> {
                Tensor bf16 = Tensor.bf16(new short[b * hq * m * dv], b, hq, m, dv);
                rejected(() -> session().attend(q, k, v, r, bf16, scores, null), bf16, scores, "output", "BF16");
            }
            case "output overlaps v" -> {
                Tensor overlapping = Tensor.of(vShared.segment(), DType.F32, 7, outShape, Tensor.contiguousStrides(outShape));
                rejected(() -> session().attend(q, k, vShared, r, overlapping, scores, null), overlapping, scores, "output", "v");
            }
            case "output overlaps q" -> {
                Tensor overlapping = Tensor.of(q.segment(), DType.F32, 0, outShape, Tensor.contiguousStrides(outShape));
                rejected(() -> session().attend(q, k, v, r, overlapping, scores, null), overlapping, scores, "output", "q");
            }
            case "scores overlap v" -> {
                Tensor overlapping = Tensor.of(vShared.segment(), DType.F32, 3, scoresShape, Tensor.contiguousStrides(scoresShape));
                rejected(() -> session().attend(q, k, vShared, r, out, overlapping, null), out, overlapping, "scores", "v");
            }
            default -> fail("test defect: unknown case " + what);
        }
    }

    /** Asserts an IllegalArgumentException naming every one of {@code names}, both outputs untouched, and a usable session. */
    private void rejected(Executable call, Tensor output, Tensor scores, String... names) {
        float[] outputBefore = output.toFloatArray(), scoresBefore = scores.toFloatArray();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, "SPEC 9: must be rejected (" + inputs().seedText() + ")");
        String message = String.valueOf(e.getMessage());
        for (String name : names) assertTrue(message.contains(name), "SPEC 9: the message must name \"" + name + "\": " + message);
        assertTrue(message.matches("(?s)^(v|Dv|output|scores)\\b.*|.*\\b(v|Dv|output|scores)\\b.*"), "SPEC 9: the message must name the parameter: " + message);
        assertArrayEquals(outputBefore, output.toFloatArray(), "SPEC 9: the output changed on a rejected call (" + message + ")");
        assertArrayEquals(scoresBefore, scores.toFloatArray(), "SPEC 9: the scores changed on a rejected call (" + message + ")");
        check(attendCase("good call after a rejected one", DType.F32, DType.F32, Layout.CONTIGUOUS, 1, 2, 1, 5, 9, 8, 4,
                ColumnReduction.builder().mask(Mask.causal())));
    }

    // ================================================================= §10.1 resident operands

    @ParameterizedTest
    @EnumSource(DType.class)
    public void spec10_1_attendWithResidentTensors(DType t) {
        Assumptions.assumeTrue(session().capabilities().dtypes().contains(t), () -> testedBackend().name() + " does not offer " + t);
        AttendCase c = attendCase("resident", t, DType.F32, Layout.CONTIGUOUS, 2, 4, 2, 7, 33, 32, 24,
                ColumnReduction.builder().heads(HeadReduction.GROUP_SUM).mask(Mask.causal()));
        Tensor previous = inputs().previous(c.scoresShape(), 20);
        AttentionReference.Result ref = AttentionReference.attend(c.q(), c.k(), c.v(), c.spec(), previous);
        try (ResidentTensor q = session().upload(c.q()); ResidentTensor k = session().upload(c.k()); ResidentTensor v = session().upload(c.v());
             ResidentTensor o = session().allocate(DType.F32, c.outputShape()); ResidentTensor s = session().allocate(DType.F32, c.scoresShape());
             ResidentTensor p = session().upload(previous)) {
            session().attend(q, k, v, c.spec(), o, s, p);
            checkOutput(c, ref.output(), session().download(o));
            float[] scores = session().download(s);
            Compare.assertClose(ref.scores(), scores, c.scoresShape(), t, "SPEC 10.1: resident operands; " + context(c));
            // in place on the device: the running scores grow by this call's scores again
            try (ResidentTensor running = session().upload(Tensor.f32(scores, c.scoresShape()))) {
                session().attend(q, k, v, c.spec(), o, running, running);
                double[] twice = AttentionReference.attend(c.q(), c.k(), c.v(), c.spec(), Tensor.f32(scores.clone(), c.scoresShape())).scores();
                Compare.assertClose(twice, session().download(running), c.scoresShape(), t, "SPEC 10.1 and 6.2: resident, in place; " + context(c));
            }
        }
    }

    // ================================================================= helpers

    /** Q [B, Hq, M, D] and K [B, Hkv, N, D] in the given layout, V [B, Hkv, N, Dv] contiguous, N(0, 1) entries. */
    protected final AttendCase attendCase(String label, DType t, DType outputType, Layout layout, int b, int hq, int hkv, int m, int n, int d, int dv,
                                          ColumnReduction.Builder spec) {
        return new AttendCase(label, inputs(), inputs().normal(t, layout, b, hq, m, d, 1), inputs().normal(t, layout, b, hkv, n, d, 1),
                inputs().normal(t, layout, b, hkv, n, dv, 1), spec.build(), outputType);
    }

    /** O and the scores of one call, row-major, and the scores as a tensor (to pass on as previous). */
    protected record Result(float[] output, float[] scores, Tensor scoresTensor) {}

    /** Runs a case into sentinel-filled outputs (with previous scores, in place when asked). */
    protected final Result run(AttendCase c, Tensor previous, boolean inPlace) {
        Tensor o = sentinel(c.outputType(), c.outputShape());
        Tensor s = inPlace ? previous : Inputs.filledF32(SENTINEL, c.scoresShape());
        session().attend(c.q(), c.k(), c.v(), c.spec(), o, s, previous);
        return new Result(o.toFloatArray(), s.toFloatArray(), s);
    }

    protected final Result check(AttendCase c) { return check(c, null, false); }

    /** Runs a case and checks O (§11.1) and the scores (§7.1) against the reference. */
    protected final Result check(AttendCase c, Tensor previous, boolean inPlace) {
        Tensor before = previous == null ? null : Tensor.f32(previous.toFloatArray(), previous.shape()); // in place overwrites it
        Result r = run(c, previous, inPlace);
        AttentionReference.Result ref = AttentionReference.attend(c.q(), c.k(), c.v(), c.spec(), before);
        checkOutput(c, ref.output(), r.output());
        String with = previous == null ? "" : "with previous of " + previous.size(previous.rank() - 1) + (inPlace ? ", in place" : "") + "; ";
        Compare.assertClose(ref.scores(), r.scores(), c.scoresShape(), c.q().dtype(), "SPEC 11.2: scores; " + with + context(c));
        return r;
    }

    /**
     * §11.1: relative Frobenius error of O ≤ 1e-5 (F32 inputs) or 2e-3 (F16/BF16), plus the unit
     * roundoff of O's type when O is stored as F16/BF16 (storing alone can cost that much); NaN
     * exactly where the reference is NaN.
     */
    protected final void checkOutput(AttendCase c, double[] reference, float[] got) {
        Compare.Errors e = Compare.measure(reference, got);
        if (e.nanMismatch() >= 0) {
            int i = e.nanMismatch();
            fail("SPEC 11.1/7.3: O at " + Compare.at(c.outputShape(), i) + " is " + got[i] + ", reference " + reference[i] + "; " + context(c));
        }
        double limit = (c.q().dtype() == DType.F32 ? OUTPUT_F32 : OUTPUT_HALF) + unitRoundoff(c.outputType());
        if (e.relative() > limit)
            fail(String.format("SPEC 11.1: O relative Frobenius error %.3e (limit %.1e); worst at %s: reference %.9g, got %.9g; %s",
                    e.relative(), limit, Compare.at(c.outputShape(), e.worst()), reference[e.worst()], got[e.worst()], context(c)));
    }

    private static double unitRoundoff(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 0x1p-11;
            case BF16 -> 0x1p-8;
        };
    }

    private void assertSameBits(String what, long[] shape, float[] first, float[] again, int run, AttendCase c) {
        for (int i = 0; i < first.length; i++)
            if (Float.floatToRawIntBits(first[i]) != Float.floatToRawIntBits(again[i]))
                fail("SPEC 8.1: " + what + " of run " + (run + 1) + " differs at " + Compare.at(shape, i) + ": " + first[i] + " then " + again[i] + "; " + context(c));
    }

    /** An input type the backend offers: the one given, else F32. */
    private DType supported(DType t) { return session().capabilities().dtypes().contains(t) ? t : DType.F32; }

    private static Tensor sentinel(DType t, long[] shape) {
        if (t == DType.F32) return Inputs.filledF32(SENTINEL, shape);
        int size = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
        Tensor tensor = t == DType.F16 ? Tensor.f16(new short[size], shape) : Tensor.bf16(new short[size], shape);
        Inputs.fill(tensor, () -> SENTINEL);
        return tensor;
    }

    /** The failure context: backend, seed, shapes, options. */
    protected final String context(AttendCase c) { return "backend " + testedBackend().name() + "; " + c.describe(); }
}
