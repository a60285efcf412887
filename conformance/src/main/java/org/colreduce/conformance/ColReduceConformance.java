package org.colreduce.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.colreduce.ColReduce;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.ResidentTensor;
import org.colreduce.Session;
import org.colreduce.Tensor;
import org.colreduce.conformance.Inputs.Layout;
import org.colreduce.conformance.Inputs.Logits;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conformance suite of docs/SPEC.md: one test per numbered rule, named after it
 * ({@code spec3_2_causalBottomRight} checks rule 3.2), against the float64 {@link Reference}
 * on fresh random and adversarial inputs. A backend's tests extend it:
 *
 * <pre>{@code
 * class CpuConformanceTest extends ColReduceConformance {
 *     protected ColReduceBackend backend() { return new CpuBackend(); }
 * }
 * }</pre>
 *
 * One session is opened per test class (GPU backends are costly to open) and closed after it.
 * When the backend is unavailable every test is skipped with its reason. Every failure names the
 * seed ({@code -Dcolreduce.seed=…} reproduces it), the shapes and the spec.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ColReduceConformance extends BackendUnderTest {
    /** Written into outputs before a call: any element the backend fails to write shows up. */
    protected static final float SENTINEL = -7777.25f;

    /** Random cases per element type in {@code spec7_1_tolerance}: 40, or {@code -Dcolreduce.cases=…} for a longer soak. */
    protected int randomCases() { return Integer.getInteger("colreduce.cases", 40); }

    /** A new session of the backend under test (tests of sessions; close it). */
    protected final Session openAnotherSession() { return ColReduce.open(backend()); }

    // ================================================================= helpers

    /** A new F32 output of the case's shape, every element {@link #SENTINEL}. */
    protected static Tensor sentinelOutput(Case c) { return Inputs.filledF32(SENTINEL, c.outputShape()); }

    /** Runs the case into a new sentinel-filled output and returns the result, row-major. */
    protected final float[] run(Case c) { return run(c, null); }

    protected final float[] run(Case c, Tensor previous) {
        Tensor out = sentinelOutput(c);
        session().columnReduce(c.q(), c.k(), c.spec(), out, previous);
        return out.toFloatArray();
    }

    /** Runs the case and checks it against the reference (§7.1); returns the result. */
    protected final float[] check(Case c) { return check(c, null); }

    protected final float[] check(Case c, Tensor previous) {
        float[] got = run(c, previous);
        Compare.assertClose(c.reference(previous), got, c.outputShape(), c.q().dtype(), context(c));
        return got;
    }

    /** The failure context: backend, seed, shapes, spec. */
    protected final String context(Case c) { return "backend " + testedBackend().name() + "; " + c.describe(); }

    private static ColumnReduction.Builder spec(Reduction r, HeadReduction h, Mask m) {
        return ColumnReduction.builder().reduction(r).heads(h).mask(m);
    }

    /** The offered (reduction, heads) pairs of §5.4. */
    private static List<ColumnReduction.Builder> everyReduction(Mask m) {
        List<ColumnReduction.Builder> all = new ArrayList<>();
        for (Reduction r : Reduction.values())
            for (HeadReduction h : HeadReduction.values())
                if (r != Reduction.MAX || h == HeadReduction.NONE) all.add(spec(r, h, m));
        return all;
    }

    /** For each key j of one batch, the number of rows that see it (the divisor of MEAN). */
    private static int[] rowsSeeing(Mask mask, int lenQ, int lenK, int m, int n) {
        int[] count = new int[n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) if (Reference.visible(mask, i, j, lenQ, lenK)) count[j]++;
        return count;
    }

    /** The rows of one batch that see at least one key: each contributes a row of P summing to 1. */
    private static int rowsWithAKey(Mask mask, int lenQ, int lenK, int m, int n) {
        int rows = 0;
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) if (Reference.visible(mask, i, j, lenQ, lenK)) { rows++; break; }
        return rows;
    }

    private static int[] lengthsOr(int[] given, int b, int max) {
        if (given != null) return given;
        int[] all = new int[b];
        Arrays.fill(all, max);
        return all;
    }

    /** SUM without head reduction: each batch and head's columns add up to the rows that see a key (every row of P sums to 1). */
    private void assertMassConserved(Case c, float[] got, double relTol) {
        long[] qs = c.q().shape();
        int b = (int) qs[0], hq = (int) qs[1], m = (int) qs[2], n = (int) c.k().size(2);
        int[] lenQ = lengthsOr(c.spec().queryLengths(), b, m), lenK = lengthsOr(c.spec().keyLengths(), b, n);
        for (int bi = 0; bi < b; bi++) {
            int rows = rowsWithAKey(c.spec().mask(), lenQ[bi], lenK[bi], m, n);
            for (int h = 0; h < hq; h++) {
                double total = 0;
                for (int j = 0; j < n; j++) total += got[(bi * hq + h) * n + j];
                if (Math.abs(total - rows) > relTol * Math.max(1, rows))
                    fail("SPEC 4.1: columns of batch " + bi + " head " + h + " sum to " + total + " but " + rows + " rows see a key (each row of P sums to 1)\n  " + context(c));
            }
        }
    }

    // ================================================================= §1 operands

    @ParameterizedTest(name = "B={0} Hq={1} Hkv={2} M={3} N={4} D={5}")
    @CsvSource({"1,1,1,1,1,1", "1,1,1,1,37,8", "1,1,1,29,1,8", "2,2,2,40,17,16", "3,2,1,5,64,32", "1,4,4,64,64,64", "2,1,1,1,64,128", "1,3,1,48,48,7"})
    public void spec1_1_shapes(int b, int hq, int hkv, int m, int n, int d) {
        for (Mask mask : new Mask[]{Mask.none(), Mask.causal()}) {
            Case c = inputs().qk("shapes", b, hq, hkv, m, n, d, ColumnReduction.builder().mask(mask));
            assertArrayEquals(new long[]{b, hq, n}, Session.outputShape(c.q(), c.k(), HeadReduction.NONE), "SPEC 1.1: result shape [B, Hq, N]");
            float[] got = session().columnReduce(c.q(), c.k(), c.spec());
            assertEquals((long) b * hq * n, got.length, "SPEC 1.1: result length B·Hq·N");
            Compare.assertClose(c.reference(), got, c.outputShape(), DType.F32, context(c));
        }
    }

    @ParameterizedTest(name = "Hq={0} Hkv={1}")
    @CsvSource({"4,1", "4,2", "6,3", "6,2", "3,1", "8,8"})
    public void spec1_2_groupedQueryHeads(int hq, int hkv) {
        int b = 2, m = 11, n = 19, d = 16;
        Case c = inputs().qk("GQA", b, hq, hkv, m, n, d, ColumnReduction.builder().mask(Mask.causal()));
        float[] gqa = check(c);
        // the same problem with every KV head repeated for its query heads: plain multi-head
        Tensor expanded = Tensor.zerosF32(b, hq, n, d);
        for (int bi = 0; bi < b; bi++) for (int h = 0; h < hq; h++) for (int j = 0; j < n; j++) for (int x = 0; x < d; x++)
            expanded.set(c.k().get(bi, h / (hq / hkv), j, x), bi, h, j, x);
        Case mha = c.with(c.q(), expanded);
        float[] plain = check(mha);
        Compare.assertClose(Compare.widen(plain), gqa, c.outputShape(), DType.F32, 2,
                "SPEC 1.2: query head h must read KV head h / (Hq / Hkv), as with K repeated per head; " + context(c));
        for (HeadReduction h : new HeadReduction[]{HeadReduction.GROUP_SUM, HeadReduction.GROUP_MEAN, HeadReduction.SUM})
            check(c.with(c.spec().toBuilder().heads(h).build()));
    }

    @ParameterizedTest(name = "D={0}")
    @ValueSource(ints = {1, 3, 17, 64, 100, 128, 256})
    public void spec1_3_anyHeadDim(int d) {
        assertTrue(session().capabilities().maxHeadDim() >= 256, "SPEC 1.3: D up to 256, capabilities say " + session().capabilities().maxHeadDim());
        for (DType dt : new DType[]{DType.F32, DType.F16}) {
            Case c = inputs().qk("head dim", dt, Layout.CONTIGUOUS, Layout.CONTIGUOUS, 1, 2, 1, 13, 21, d, Logits.NORMAL,
                    ColumnReduction.builder().mask(Mask.causal()));
            check(c);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    public void spec1_4_elementTypes(DType dtype) {
        assertTrue(session().capabilities().dtypes().contains(dtype), "SPEC 1.4: element type " + dtype + " must be supported; capabilities: " + session().capabilities());
        for (Logits logits : Logits.values()) {
            Case c = inputs().qk("element type", dtype, Layout.CONTIGUOUS, Layout.CONTIGUOUS, 2, 4, 2, inputs().between(1, 40), inputs().between(1, 50),
                    inputs().pick(new Integer[]{8, 31, 64}), logits, ColumnReduction.builder().mask(inputs().mask(50)));
            check(c);
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    public void spec1_5_stridedViews(Layout layout) {
        for (DType dt : DType.values()) {
            Case c = inputs().qk("view", dt, layout, layout, 2, 4, 2, 17, 23, 24, Logits.NORMAL,
                    ColumnReduction.builder().mask(Mask.causal()).heads(HeadReduction.NONE));
            float[] viewed = check(c);
            Case copy = c.with(Inputs.contiguousCopy(c.q()), Inputs.contiguousCopy(c.k()));
            float[] dense = check(copy);
            Compare.assertClose(Compare.widen(dense), viewed, c.outputShape(), dt, 2, "SPEC 1.5: a view must give the result of its contiguous copy; " + context(c));
            // the output is a view too: a slice of a wider buffer, or a transposed one; the rest stays untouched
            long[] shape = c.outputShape();
            int hq = (int) shape[1], n = (int) shape[2];
            Tensor backing, out;
            if (layout.ordinal() % 2 == 0) {
                backing = Inputs.filledF32(SENTINEL, 2, hq, n + 5);
                out = backing.slice(2, 3, n);
            } else {
                backing = Inputs.filledF32(SENTINEL, 2, n, hq);
                out = backing.transpose(1, 2);
            }
            session().columnReduce(c.q(), c.k(), c.spec(), out);
            Compare.assertClose(c.reference(), out.toFloatArray(), shape, dt, "SPEC 1.5: strided output " + out + "; " + context(c));
            float[] all = backing.toFloatArray();
            if (layout.ordinal() % 2 == 0)
                for (int bh = 0; bh < 2 * hq; bh++)
                    for (int j : new int[]{0, 1, 2, n + 3, n + 4})
                        assertEquals(SENTINEL, all[bh * (n + 5) + j], "SPEC 1.5: wrote outside the output view " + out + "; " + context(c));
        }
    }

    // ================================================================= §2 scale

    @ParameterizedTest(name = "scale {0}")
    @ValueSource(strings = {"default", "0", "-0.7", "0.05", "1.9"})
    public void spec2_1_scale(String scale) {
        int d = 20;
        ColumnReduction.Builder spec = ColumnReduction.builder().mask(Mask.causal());
        if (!scale.equals("default")) spec.scale(Double.parseDouble(scale));
        Case c = inputs().qk("scale " + scale, 2, 2, 1, 14, 22, d, spec);
        float[] got = check(c);
        if (scale.equals("default")) {
            float[] explicit = check(c.with(c.spec().toBuilder().scale(1 / Math.sqrt(d)).build()));
            Compare.assertClose(Compare.widen(explicit), got, c.outputShape(), DType.F32, 2, "SPEC 2.1: the default scale is 1/sqrt(D); " + context(c));
        }
        if (scale.equals("0")) { // P uniform over each row's visible keys: row i (causal, M ≤ N) sees i + N − M + 1 keys
            int m = 14, n = 22;
            double[] expected = new double[n];
            for (int i = 0; i < m; i++) for (int j = 0; j <= i + n - m; j++) expected[j] += 1.0 / (i + n - m + 1);
            double[] all = new double[got.length];
            for (int bh = 0; bh < got.length / n; bh++) System.arraycopy(expected, 0, all, bh * n, n);
            Compare.assertClose(all, got, c.outputShape(), DType.F32, "SPEC 2.1: scale 0 gives uniform rows; " + context(c));
        }
    }

    // ================================================================= §3 masks

    @ParameterizedTest(name = "lengths {0}")
    @ValueSource(booleans = {false, true})
    public void spec3_1_noMask(boolean lengths) {
        for (int[] mn : new int[][]{{20, 31}, {31, 20}, {1, 9}}) {
            ColumnReduction.Builder spec = ColumnReduction.builder().mask(Mask.none());
            if (lengths) spec.queryLengths(inputs().lengths(3, mn[0])).keyLengths(inputs().lengths(3, mn[1]));
            check(inputs().qk("no mask", 3, 2, 2, mn[0], mn[1], 16, spec));
        }
    }

    @ParameterizedTest(name = "M={0} N={1}")
    @CsvSource({"1,1", "1,40", "5,40", "40,40", "40,5", "17,33"})
    public void spec3_2_causalBottomRight(int m, int n) {
        Case c = inputs().qk("causal bottom-right", 2, 2, 1, m, n, 16, ColumnReduction.builder().mask(Mask.causal()));
        float[] got = check(c);
        // the last query sees every key, so with M = 1 every column holds that row's probabilities, summing to 1
        if (m == 1) assertMassConserved(c, got, 1e-5);
        // bottom-right is the default causal mask, and per-batch lengths move its diagonal (the clarification)
        assertEquals(Mask.causal(Mask.Alignment.BOTTOM_RIGHT), Mask.causal(), "SPEC 3.2: causal() is bottom-right aligned");
        check(c.with(c.spec().toBuilder().queryLengths(inputs().lengths(2, m)).keyLengths(inputs().lengths(2, n)).build()));
        for (ColumnReduction.Builder r : everyReduction(Mask.causal())) check(c.with(r.build()));
    }

    @ParameterizedTest(name = "M={0} N={1}")
    @CsvSource({"1,1", "1,40", "5,40", "40,40", "40,5", "17,33"})
    public void spec3_3_causalTopLeft(int m, int n) {
        Mask mask = Mask.causal(Mask.Alignment.TOP_LEFT);
        Case c = inputs().qk("causal top-left", 2, 2, 1, m, n, 16, ColumnReduction.builder().mask(mask));
        check(c);
        check(c.with(c.spec().toBuilder().queryLengths(inputs().lengths(2, m)).keyLengths(inputs().lengths(2, n)).build()));
        for (ColumnReduction.Builder r : everyReduction(mask)) check(c.with(r.build()));
    }

    @ParameterizedTest(name = "M={0} N={1} W={2} {3}")
    @CsvSource({"8,20,1,BOTTOM_RIGHT", "8,20,3,BOTTOM_RIGHT", "20,8,3,BOTTOM_RIGHT", "1,30,4,BOTTOM_RIGHT",
            "16,16,5,TOP_LEFT", "16,16,40,TOP_LEFT", "9,25,2,TOP_LEFT", "12,30,1099511627776,BOTTOM_RIGHT"})
    public void spec3_4_slidingWindow(int m, int n, long w, Mask.Alignment alignment) {
        Mask mask = Mask.slidingWindow(w, alignment);
        Case c = inputs().qk("sliding window", 2, 2, 2, m, n, 12, ColumnReduction.builder().mask(mask));
        check(c);
        check(c.with(c.spec().toBuilder().queryLengths(inputs().lengths(2, m)).keyLengths(inputs().lengths(2, n)).build()));
        for (ColumnReduction.Builder r : everyReduction(mask)) check(c.with(r.build()));
    }

    /** NaN in the padding (keys ≥ lenK) must not reach any value: those keys are invisible. */
    @ParameterizedTest
    @EnumSource(value = Mask.Kind.class)
    public void spec3_5_keyLengths(Mask.Kind kind) {
        int b = 4, m = 12, n = 30;
        Mask mask = kind == Mask.Kind.NONE ? Mask.none() : kind == Mask.Kind.CAUSAL ? Mask.causal() : Mask.slidingWindow(4);
        int[] lenK = {0, 1, 17, n};
        Case c = inputs().qk("key lengths", DType.F32, Layout.LAST_ROWS, Layout.TRANSPOSED, b, 2, 1, m, n, 16, Logits.NORMAL,
                ColumnReduction.builder().mask(mask).keyLengths(lenK));
        for (int bi = 0; bi < b; bi++) for (int j = lenK[bi]; j < n; j++) for (int x = 0; x < 16; x++) c.k().set(Float.NaN, bi, 0, j, x);
        for (ColumnReduction.Builder r : everyReduction(mask)) {
            Case rc = c.with(r.keyLengths(lenK).build());
            float[] got = check(rc);
            int outHeads = got.length / (b * n);
            for (int bi = 0; bi < b; bi++) for (int h = 0; h < outHeads; h++) for (int j = lenK[bi]; j < n; j++)
                assertEquals(0f, got[(bi * outHeads + h) * n + j], "SPEC 3.5: key " + j + " ≥ lenK[" + bi + "] = " + lenK[bi] + " must give 0; " + context(rc));
        }
    }

    /** NaN in the padding rows (queries ≥ lenQ) must not reach any value: those rows contribute nothing. */
    @ParameterizedTest
    @EnumSource(value = Mask.Kind.class)
    public void spec3_6_queryLengths(Mask.Kind kind) {
        int b = 4, m = 25, n = 20;
        Mask mask = kind == Mask.Kind.NONE ? Mask.none() : kind == Mask.Kind.CAUSAL ? Mask.causal() : Mask.slidingWindow(3);
        int[] lenQ = {m, 0, 1, 9};
        Case c = inputs().qk("query lengths", DType.F32, Layout.OFFSET, Layout.CONTIGUOUS, b, 2, 2, m, n, 16, Logits.NORMAL,
                ColumnReduction.builder().mask(mask).queryLengths(lenQ));
        for (int bi = 0; bi < b; bi++) for (int h = 0; h < 2; h++) for (int i = lenQ[bi]; i < m; i++) for (int x = 0; x < 16; x++)
            c.q().set(Float.NaN, bi, h, i, x);
        for (ColumnReduction.Builder r : everyReduction(mask)) {
            Case rc = c.with(r.queryLengths(lenQ).build());
            float[] got = check(rc);
            int perBatch = got.length / b;
            for (int j = 0; j < perBatch; j++) assertEquals(0f, got[perBatch + j], "SPEC 3.6: batch 1 has lenQ 0, so every value is 0; " + context(rc));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"causal M > N", "lenK = 0", "lenQ = 0", "window M > N"})
    public void spec3_7_rowWithNoVisibleKey(String what) {
        int b = 2, m = 30, n = 9;
        ColumnReduction.Builder spec = ColumnReduction.builder();
        switch (what) {
            case "causal M > N" -> spec.mask(Mask.causal()); // rows i < M − N see no key
            case "lenK = 0" -> spec.mask(Mask.causal()).keyLengths(0, 5);
            case "lenQ = 0" -> spec.mask(Mask.none()).queryLengths(0, 30);
            default -> spec.mask(Mask.slidingWindow(2));
        }
        Case c = inputs().qk("no visible key", b, 2, 1, m, n, 8, spec);
        for (ColumnReduction.Builder r : everyReduction(c.spec().mask())) {
            ColumnReduction rs = r.queryLengths(c.spec().queryLengths()).keyLengths(c.spec().keyLengths()).build();
            Case rc = c.with(rs);
            float[] got = check(rc);
            for (int i = 0; i < got.length; i++) assertTrue(Float.isFinite(got[i]), "SPEC 3.7: value " + got[i] + " at " + i + "; " + context(rc));
            if (rs.reduction() == Reduction.SUM && rs.heads() == HeadReduction.NONE) assertMassConserved(rc, got, 1e-5);
        }
    }

    // ================================================================= §4 reductions

    @ParameterizedTest
    @EnumSource(Mask.Kind.class)
    public void spec4_1_sum(Mask.Kind kind) {
        for (int t = 0; t < 4; t++) {
            int b = 2, m = inputs().between(1, 40), n = inputs().between(1, 50);
            Mask mask = switch (kind) {
                case NONE -> Mask.none();
                case CAUSAL -> t % 2 == 0 ? Mask.causal() : Mask.causal(Mask.Alignment.TOP_LEFT);
                case SLIDING_WINDOW -> Mask.slidingWindow(inputs().between(1, n + 1), t % 2 == 0 ? Mask.Alignment.BOTTOM_RIGHT : Mask.Alignment.TOP_LEFT);
            };
            Case c = inputs().qk("sum", b, 3, 1, m, n, 16, ColumnReduction.builder().mask(mask).reduction(Reduction.SUM)
                    .queryLengths(inputs().lengths(b, m)).keyLengths(inputs().lengths(b, n)));
            assertMassConserved(c, check(c), 1e-5);
        }
    }

    @ParameterizedTest
    @EnumSource(Mask.Kind.class)
    public void spec4_2_mean(Mask.Kind kind) {
        int b = 2, hq = 2, m = 23, n = 31;
        Mask mask = kind == Mask.Kind.NONE ? Mask.none() : kind == Mask.Kind.CAUSAL ? Mask.causal() : Mask.slidingWindow(5, Mask.Alignment.TOP_LEFT);
        int[] lenQ = inputs().lengths(b, m), lenK = inputs().lengths(b, n);
        Case c = inputs().qk("mean", b, hq, 2, m, n, 16, ColumnReduction.builder().mask(mask).reduction(Reduction.MEAN).queryLengths(lenQ).keyLengths(lenK));
        float[] mean = check(c);
        float[] sum = check(c.with(c.spec().toBuilder().reduction(Reduction.SUM).build()));
        // MEAN is SUM over the number of rows that see the column, 0 where none does
        double[] expected = new double[sum.length];
        for (int bi = 0; bi < b; bi++) {
            int[] rows = rowsSeeing(mask, lenQ[bi], lenK[bi], m, n);
            for (int h = 0; h < hq; h++) for (int j = 0; j < n; j++) {
                int at = (bi * hq + h) * n + j;
                expected[at] = rows[j] == 0 ? 0 : (double) sum[at] / rows[j];
                if (rows[j] == 0) assertEquals(0f, mean[at], "SPEC 4.2: no row sees column " + j + " of batch " + bi + "; " + context(c));
            }
        }
        Compare.assertClose(expected, mean, c.outputShape(), DType.F32, 2, "SPEC 4.2: MEAN = SUM / rows seeing the column; " + context(c));
    }

    @ParameterizedTest
    @EnumSource(Logits.class)
    public void spec4_3_max(Logits logits) {
        Case c = inputs().qk("max", DType.F32, Layout.CONTIGUOUS, Layout.CONTIGUOUS, 2, 2, 1, 19, 27, 16, logits,
                ColumnReduction.builder().mask(Mask.causal()).reduction(Reduction.MAX).keyLengths(inputs().lengths(2, 27)));
        float[] max = check(c);
        float[] sum = run(c.with(c.spec().toBuilder().reduction(Reduction.SUM).build()));
        for (int i = 0; i < max.length; i++)
            assertTrue(max[i] >= 0 && max[i] <= 1 + 1e-5f && max[i] <= sum[i] * (1 + 1e-5f) + 1e-7f,
                    "SPEC 4.3: MAX " + max[i] + " at " + Compare.at(c.outputShape(), i) + " must lie in [0, min(1, SUM " + sum[i] + ")]; " + context(c));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"key lengths", "causal top-left M < N", "window", "query lengths 0"})
    public void spec4_4_unseenColumnIsZero(String what) {
        int b = 2, m = 10, n = 26;
        ColumnReduction.Builder base = ColumnReduction.builder();
        Mask mask = switch (what) {
            case "causal top-left M < N" -> Mask.causal(Mask.Alignment.TOP_LEFT); // keys j ≥ M unseen
            case "window" -> Mask.slidingWindow(3); // keys j < N − M − 2 unseen
            default -> Mask.none();
        };
        Case c = inputs().qk("unseen columns", b, 2, 1, m, n, 8, base.mask(mask));
        for (ColumnReduction.Builder r : everyReduction(mask)) {
            if (what.equals("key lengths")) r.keyLengths(3, 20);
            if (what.equals("query lengths 0")) r.queryLengths(0, 4);
            Case rc = c.with(r.build());
            float[] got = check(rc);
            int[] lenQ = lengthsOr(rc.spec().queryLengths(), b, m), lenK = lengthsOr(rc.spec().keyLengths(), b, n);
            int outHeads = got.length / (b * n), unseen = 0;
            for (int bi = 0; bi < b; bi++) {
                int[] rows = rowsSeeing(mask, lenQ[bi], lenK[bi], m, n);
                for (int j = 0; j < n; j++) {
                    if (rows[j] != 0) continue;
                    unseen++;
                    for (int h = 0; h < outHeads; h++)
                        assertEquals(0f, got[(bi * outHeads + h) * n + j], "SPEC 4.4: column " + j + " of batch " + bi + " is seen by no row; " + context(rc));
                }
            }
            assertTrue(unseen > 0, "test defect: no unseen column in " + context(rc));
        }
    }

    // ================================================================= §5 head reductions

    @Test
    public void spec5_1_noHeadReduction() {
        for (Reduction r : Reduction.values()) {
            Case c = inputs().qk("heads none", 2, 6, 2, 15, 21, 16, spec(r, HeadReduction.NONE, Mask.causal()));
            assertArrayEquals(new long[]{2, 6, 21}, Session.outputShape(c.q(), c.k(), HeadReduction.NONE), "SPEC 5.1: [B, Hq, N]");
            check(c);
        }
    }

    @ParameterizedTest
    @EnumSource(value = HeadReduction.class, names = {"SUM", "MEAN"})
    public void spec5_2_sumAndMeanOverHeads(HeadReduction heads) {
        int b = 2, hq = 6, hkv = 2, n = 21;
        for (Reduction r : new Reduction[]{Reduction.SUM, Reduction.MEAN}) {
            Case c = inputs().qk("heads " + heads, b, hq, hkv, 15, n, 16, spec(r, heads, Mask.causal()).keyLengths(inputs().lengths(b, n)));
            assertArrayEquals(new long[]{b, n}, Session.outputShape(c.q(), c.k(), heads), "SPEC 5.2: [B, N]");
            float[] got = check(c);
            float[] perHead = run(c.with(c.spec().toBuilder().heads(HeadReduction.NONE).build()));
            double[] combined = new double[b * n];
            for (int bi = 0; bi < b; bi++) for (int h = 0; h < hq; h++) for (int j = 0; j < n; j++)
                combined[bi * n + j] += perHead[(bi * hq + h) * n + j] / (heads == HeadReduction.MEAN ? (double) hq : 1);
            Compare.assertClose(combined, got, c.outputShape(), DType.F32, 2, "SPEC 5.2: " + heads + " over the per-head " + r + " values; " + context(c));
        }
    }

    @ParameterizedTest
    @EnumSource(value = HeadReduction.class, names = {"GROUP_SUM", "GROUP_MEAN"})
    public void spec5_3_groupHeads(HeadReduction heads) {
        int b = 2, hq = 6, hkv = 3, g = hq / hkv, n = 21;
        for (Reduction r : new Reduction[]{Reduction.SUM, Reduction.MEAN}) {
            Case c = inputs().qk("heads " + heads, b, hq, hkv, 15, n, 16, spec(r, heads, Mask.slidingWindow(6)).queryLengths(inputs().lengths(b, 15)));
            assertArrayEquals(new long[]{b, hkv, n}, Session.outputShape(c.q(), c.k(), heads), "SPEC 5.3: [B, Hkv, N]");
            float[] got = check(c);
            float[] perHead = run(c.with(c.spec().toBuilder().heads(HeadReduction.NONE).build()));
            double[] combined = new double[b * hkv * n];
            for (int bi = 0; bi < b; bi++) for (int h = 0; h < hq; h++) for (int j = 0; j < n; j++)
                combined[(bi * hkv + h / g) * n + j] += perHead[(bi * hq + h) * n + j] / (heads == HeadReduction.GROUP_MEAN ? (double) g : 1);
            Compare.assertClose(combined, got, c.outputShape(), DType.F32, 2, "SPEC 5.3: " + heads + " over the query heads of a KV head; " + context(c));
        }
    }

    @ParameterizedTest
    @EnumSource(value = HeadReduction.class, names = {"SUM", "MEAN", "GROUP_SUM", "GROUP_MEAN"})
    public void spec5_4_maxOnlyWithoutHeadReduction(HeadReduction heads) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ColumnReduction.builder().reduction(Reduction.MAX).heads(heads).build(), "SPEC 5.4: MAX with heads " + heads);
        assertTrue(e.getMessage().contains("MAX") && e.getMessage().contains(heads.name()), "SPEC 5.4/9: message must name MAX and " + heads + ": " + e.getMessage());
        ColumnReduction sum = ColumnReduction.builder().heads(heads).build();
        assertThrows(IllegalArgumentException.class, () -> sum.toBuilder().reduction(Reduction.MAX).build(), "SPEC 5.4: MAX with heads " + heads + " via toBuilder");
        check(inputs().qk("max none", 1, 2, 1, 5, 7, 8, spec(Reduction.MAX, HeadReduction.NONE, Mask.none())));
    }

    // ================================================================= §6 accumulation

    @ParameterizedTest(name = "heads {0}")
    @EnumSource(HeadReduction.class)
    public void spec6_1_accumulateShorterPrevious(HeadReduction heads) {
        int n = 24;
        for (int length : new int[]{0, 1, 13, n}) {
            Reduction r = heads == HeadReduction.NONE ? inputs().pick(Reduction.values()) : Reduction.SUM;
            Case c = inputs().qk("accumulate L=" + length, 2, 4, 2, 9, n, 16, spec(r, heads, Mask.causal()));
            Tensor previous = inputs().previous(c.outputShape(), length);
            float[] before = previous.toFloatArray();
            check(c, previous);
            assertArrayEquals(before, previous.toFloatArray(), "SPEC 6.1: previous must not change when out is another buffer; " + context(c));
        }
    }

    @ParameterizedTest(name = "same object {0}")
    @ValueSource(booleans = {true, false})
    public void spec6_2_accumulateInPlace(boolean sameObject) {
        Case c = inputs().qk("in place", 2, 4, 4, 12, 20, 16, ColumnReduction.builder().mask(Mask.causal()).heads(HeadReduction.GROUP_SUM));
        Tensor running = inputs().previous(c.outputShape(), 20);
        Tensor initial = Tensor.f32(running.toFloatArray(), running.shape());
        Tensor out = sameObject ? running : Tensor.of(running.segment(), running.dtype(), running.offset(), running.shape(), running.strides());
        session().columnReduce(c.q(), c.k(), c.spec(), out, running);
        Compare.assertClose(c.reference(initial), running.toFloatArray(), c.outputShape(), DType.F32, "SPEC 6.2: in place, step 1; " + context(c));
        // a second step on the updated running scores
        Tensor afterOne = Tensor.f32(running.toFloatArray(), running.shape());
        session().columnReduce(c.q(), c.k(), c.spec(), out, running);
        Compare.assertClose(c.reference(afterOne), running.toFloatArray(), c.outputShape(), DType.F32, "SPEC 6.2: in place, step 2; " + context(c));
    }

    // ================================================================= §7 numerics

    @ParameterizedTest
    @EnumSource(DType.class)
    public void spec7_1_tolerance(DType dtype) {
        for (int t = 0; t < randomCases(); t++) {
            Case c = inputs().randomCase(dtype);
            if (inputs().random().nextInt(4) == 0) check(c, inputs().previous(c.outputShape(), inputs().between(0, (int) c.k().size(2))));
            else check(c);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"peaky F32", "peaky BF16", "equal queries", "equal keys", "all equal", "large F32", "huge F32", "large F16", "huge BF16", "negative huge"})
    public void spec7_2_finiteInputsGiveFiniteResults(String what) {
        int b = 2, hq = 2, hkv = 1, m = 24, n = 40, d = 32;
        DType dt = what.endsWith("BF16") ? DType.BF16 : what.endsWith("F16") ? DType.F16 : DType.F32;
        double sigma = switch (what) {
            case "large F32", "large F16" -> 250;
            case "huge F32", "huge BF16" -> 1e12;
            case "negative huge" -> 1e9;
            default -> 1;
        };
        Tensor q = what.contains("queries") || what.equals("all equal") ? inputs().equalRows(dt, Layout.CONTIGUOUS, b, hq, m, d, sigma) : inputs().normal(dt, Layout.CONTIGUOUS, b, hq, m, d, sigma);
        Tensor k = what.contains("keys") || what.equals("all equal") ? inputs().equalRows(dt, Layout.CONTIGUOUS, b, hkv, n, d, sigma) : inputs().normal(dt, Layout.CONTIGUOUS, b, hkv, n, d, sigma);
        if (what.equals("all equal")) Inputs.fill(q, () -> 0.75);
        ColumnReduction.Builder spec = ColumnReduction.builder();
        if (what.startsWith("peaky")) spec.scale(100 / Math.sqrt(d));
        if (what.equals("negative huge")) spec.scale(-1e3);
        Case base = new Case(what, inputs(), q, k, spec.build());
        for (Mask mask : new Mask[]{Mask.none(), Mask.causal(), Mask.slidingWindow(5)}) {
            for (ColumnReduction.Builder r : everyReduction(mask)) {
                ColumnReduction rs = r.scale(Reference.scale(base.spec(), d)).keyLengths(inputs().lengths(b, n)).build();
                Case c = base.with(rs);
                float[] got = run(c);
                for (int i = 0; i < got.length; i++)
                    if (!Float.isFinite(got[i]) || got[i] < 0 || got[i] > m * hq)
                        fail("SPEC 7.2: value " + got[i] + " at " + Compare.at(c.outputShape(), i) + " from finite inputs (must be finite, in [0, M·Hq]); " + context(c));
                // logits this large are beyond float's 1e-5 (so §7.1 is not asked), yet every row of P must still sum to 1:
                // that needs the same logit bits in the statistics and the column pass, or exp(s − max) leaves [0, 1]
                if (rs.reduction() == Reduction.SUM && rs.heads() == HeadReduction.NONE) assertMassConserved(c, got, 1e-4);
                if (what.startsWith("equal") || what.equals("all equal")) // moderate logits: the tolerance holds too
                    Compare.assertClose(c.reference(), got, c.outputShape(), dt, context(c));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"NaN in q F32", "NaN in k F32", "+Inf in q F32", "Inf in k F32", "NaN in q F16", "NaN in k BF16", "-Inf in k F16"})
    public void spec7_3_nanPropagates(String what) {
        int b = 2, hq = 4, hkv = 2, m = 16, n = 16, d = 8;
        DType dt = what.endsWith("BF16") ? DType.BF16 : what.endsWith("F16") ? DType.F16 : DType.F32;
        float bad = what.startsWith("NaN") ? Float.NaN : what.startsWith("-Inf") ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        Case base = inputs().qk("non-finite", dt, Layout.CONTIGUOUS, Layout.CONTIGUOUS, b, hq, hkv, m, n, d, Logits.NORMAL, ColumnReduction.builder());
        int bi = 1, x = inputs().between(0, d - 1);
        if (what.contains(" in q")) {
            // an infinite query element with positive key elements gives +Inf scores: the row is poisoned whatever it sees
            base.q().set(bad, bi, 1, 5, x);
            for (int h = 0; h < hkv; h++) for (int j = 0; j < n; j++) base.k().set(Math.abs(base.k().get(bi, h, j, x)) + 0.5f, bi, h, j, x);
        } else {
            // an infinite key element: make the matching query elements of that sign so every score it enters is +Inf
            base.k().set(bad, bi, 0, 6, x);
            for (int h = 0; h < hq; h++) for (int i = 0; i < m; i++)
                base.q().set(Math.copySign(Math.abs(base.q().get(bi, h, i, x)) + 0.5f, bad == Float.NEGATIVE_INFINITY ? -1f : 1f), bi, h, i, x);
        }
        for (Mask mask : new Mask[]{Mask.none(), Mask.causal(), Mask.slidingWindow(4)}) {
            for (ColumnReduction.Builder r : everyReduction(mask)) {
                Case c = base.with(r.build());
                double[] ref = c.reference();
                long nan = Arrays.stream(ref).filter(Double::isNaN).count();
                assertTrue(nan > 0 && nan < ref.length, "test defect: the reference has " + nan + " NaN of " + ref.length + "; " + context(c));
                Compare.assertClose(ref, run(c), c.outputShape(), dt, context(c));
            }
        }
    }

    // ================================================================= §8 determinism

    @ParameterizedTest
    @EnumSource(Reduction.class)
    public void spec8_1_deterministic(Reduction reduction) {
        // large enough that a parallel backend splits rows, keys and heads over its workers
        int b = 2, hq = 4, hkv = 2, m = 160, n = 1000, d = 64;
        DType dt = reduction == Reduction.MEAN ? DType.BF16 : DType.F32;
        HeadReduction heads = reduction == Reduction.MAX ? HeadReduction.NONE : HeadReduction.GROUP_MEAN;
        Case c = inputs().qk("determinism", dt, Layout.CONTIGUOUS, Layout.TRANSPOSED, b, hq, hkv, m, n, d, Logits.NORMAL,
                spec(reduction, heads, Mask.causal()).keyLengths(n, n - 333));
        float[] first = run(c);
        for (int i = 0; i < first.length; i++) assertTrue(Float.isFinite(first[i]), "SPEC 7.2 at " + i + "; " + context(c));
        for (int t = 1; t < 3; t++) {
            float[] again = run(c);
            for (int i = 0; i < first.length; i++)
                if (Float.floatToRawIntBits(first[i]) != Float.floatToRawIntBits(again[i]))
                    fail("SPEC 8.1: run " + (t + 1) + " differs at " + Compare.at(c.outputShape(), i) + ": " + first[i] + " then " + again[i] + "; " + context(c));
        }
    }

    // ================================================================= §9 bad input

    /**
     * Asserts that the call throws IllegalArgumentException whose message contains every one of
     * {@code names}, that {@code outputs} keep their contents, and that the session still works.
     */
    protected final void assertRejected(String rule, Executable call, Tensor[] outputs, String... names) {
        List<float[]> before = new ArrayList<>();
        for (Tensor t : outputs) before.add(t.toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, "SPEC " + rule + ": must be rejected (seed " + inputs().seedText() + ")");
        String message = String.valueOf(e.getMessage());
        for (String name : names)
            assertTrue(message.contains(name), "SPEC " + rule + ": the message must name \"" + name + "\": " + message);
        for (int i = 0; i < outputs.length; i++)
            assertArrayEquals(before.get(i), outputs[i].toFloatArray(), "SPEC " + rule + ": an output changed on a rejected call (" + message + ")");
        check(inputs().qk("good call after " + rule, 1, 2, 1, 5, 9, 8, ColumnReduction.builder().mask(Mask.causal())));
    }

    private Tensor f32(long... shape) { return inputs().normal(DType.F32, Layout.CONTIGUOUS, (int) shape[0], (int) shape[1], (int) shape[2], (int) shape[3], 1); }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"q rank 3", "k rank 5", "batch", "head dim", "zero queries", "zero keys", "zero heads", "zero batch"})
    public void spec9_1_badShapes(String what) {
        Tensor out = Inputs.filledF32(SENTINEL, 2, 2, 8);
        ColumnReduction r = ColumnReduction.sum();
        switch (what) {
            case "q rank 3" -> assertRejected("9.1", () -> session().columnReduce(Tensor.zerosF32(2, 5, 8), f32(2, 2, 8, 8), r, out), new Tensor[]{out}, "q", "rank", "[2, 5, 8]");
            case "k rank 5" -> assertRejected("9.1", () -> session().columnReduce(f32(2, 2, 5, 8), Tensor.zerosF32(2, 2, 8, 8, 1), r, out), new Tensor[]{out}, "k", "rank", "[2, 2, 8, 8, 1]");
            case "batch" -> assertRejected("9.1", () -> session().columnReduce(f32(2, 2, 5, 8), f32(3, 2, 8, 8), r, out), new Tensor[]{out}, "B", "2", "3");
            case "head dim" -> assertRejected("9.1", () -> session().columnReduce(f32(2, 2, 5, 8), f32(2, 2, 8, 16), r, out), new Tensor[]{out}, "D", "8", "16");
            case "zero queries" -> assertRejected("9.1", () -> session().columnReduce(Tensor.zerosF32(2, 2, 0, 8), f32(2, 2, 8, 8), r, out), new Tensor[]{out}, "q", "[2, 2, 0, 8]");
            case "zero keys" -> assertRejected("9.1", () -> session().columnReduce(f32(2, 2, 5, 8), Tensor.zerosF32(2, 2, 0, 8), r, out), new Tensor[]{out}, "k", "[2, 2, 0, 8]");
            case "zero heads" -> assertRejected("9.1", () -> session().columnReduce(f32(2, 2, 5, 8), Tensor.zerosF32(2, 0, 8, 8), r, out), new Tensor[]{out}, "k", "[2, 0, 8, 8]");
            default -> assertRejected("9.1", () -> session().columnReduce(Tensor.zerosF32(0, 2, 5, 8), Tensor.zerosF32(0, 2, 8, 8), r, out), new Tensor[]{out}, "[0, 2, 5, 8]");
        }
    }

    @ParameterizedTest(name = "Hq={0} Hkv={1}")
    @CsvSource({"6,4", "3,2", "1,2"})
    public void spec9_2_queryHeadsNotMultipleOfKvHeads(int hq, int hkv) {
        Tensor out = Inputs.filledF32(SENTINEL, 1, hq, 8);
        assertRejected("9.2", () -> session().columnReduce(f32(1, hq, 5, 8), f32(1, hkv, 8, 8), ColumnReduction.sum(), out), new Tensor[]{out},
                "Hq", "Hkv", String.valueOf(hq), String.valueOf(hkv));
    }

    @Test
    public void spec9_3_elementTypes() {
        Tensor out = Inputs.filledF32(SENTINEL, 1, 2, 8);
        Tensor q = f32(1, 2, 5, 8);
        Tensor k16 = inputs().normal(DType.F16, Layout.CONTIGUOUS, 1, 2, 8, 8, 1);
        assertRejected("9.3", () -> session().columnReduce(q, k16, ColumnReduction.sum(), out), new Tensor[]{out}, "dtype", "F32", "F16");
        Tensor qb = inputs().normal(DType.BF16, Layout.CONTIGUOUS, 1, 2, 5, 8, 1);
        assertRejected("9.3", () -> session().columnReduce(qb, k16, ColumnReduction.sum(), out), new Tensor[]{out}, "dtype", "BF16", "F16");
        for (DType dt : DType.values()) {
            if (session().capabilities().dtypes().contains(dt)) continue;
            Tensor qu = inputs().normal(dt, Layout.CONTIGUOUS, 1, 2, 5, 8, 1), ku = inputs().normal(dt, Layout.CONTIGUOUS, 1, 2, 8, 8, 1);
            assertRejected("9.3", () -> session().columnReduce(qu, ku, ColumnReduction.sum(), out), new Tensor[]{out}, "dtype", dt.name());
        }
    }

    @ParameterizedTest(name = "D={0}")
    @ValueSource(ints = {0, 257, 1000})
    public void spec9_4_headDimOutOfRange(int d) {
        Tensor out = Inputs.filledF32(SENTINEL, 1, 2, 8);
        assertRejected("9.4", () -> session().columnReduce(Tensor.zerosF32(1, 2, 5, d), Tensor.zerosF32(1, 2, 8, d), ColumnReduction.sum(), out), new Tensor[]{out},
                "D", String.valueOf(d));
    }

    @ParameterizedTest(name = "scale {0}")
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e300, -1e39})
    public void spec9_5_nonFiniteScale(double scale) {
        Tensor out = Inputs.filledF32(SENTINEL, 1, 2, 8);
        Tensor q = f32(1, 2, 5, 8), k = f32(1, 2, 8, 8);
        if (!Double.isFinite(scale)) {
            assertRejected("9.5", () -> ColumnReduction.builder().scale(scale), new Tensor[]{out}, "scale", String.valueOf(scale));
        } else { // finite as a double, not as the float a backend computes with
            ColumnReduction r = ColumnReduction.builder().scale(scale).build();
            assertRejected("9.5", () -> session().columnReduce(q, k, r, out), new Tensor[]{out}, "scale", String.valueOf(scale));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"queryLengths count", "keyLengths count", "keyLengths[1] > N", "queryLengths[0] < 0", "queryLengths[1] > M", "keyLengths[0] < 0"})
    public void spec9_6_lengths(String what) {
        Tensor out = Inputs.filledF32(SENTINEL, 2, 2, 8);
        Tensor q = f32(2, 2, 5, 8), k = f32(2, 2, 8, 8);
        ColumnReduction.Builder b = ColumnReduction.builder().mask(Mask.causal());
        String[] names = switch (what) {
            case "queryLengths count" -> { b.queryLengths(5, 5, 5); yield new String[]{"queryLengths", "2", "3"}; }
            case "keyLengths count" -> { b.keyLengths(8); yield new String[]{"keyLengths", "2", "1"}; }
            case "keyLengths[1] > N" -> { b.keyLengths(8, 9); yield new String[]{"keyLengths[1]", "8", "9"}; }
            case "queryLengths[0] < 0" -> { b.queryLengths(-1, 5); yield new String[]{"queryLengths[0]", "-1"}; }
            case "queryLengths[1] > M" -> { b.queryLengths(5, 6); yield new String[]{"queryLengths[1]", "5", "6"}; }
            default -> { b.keyLengths(-3, 8); yield new String[]{"keyLengths[0]", "-3"}; }
        };
        ColumnReduction r = b.build();
        assertRejected("9.6", () -> session().columnReduce(q, k, r, out), new Tensor[]{out}, names);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"out F16", "out shape", "out too small", "out rank", "previous longer than N", "previous shape", "previous F16"})
    public void spec9_7_badOutput(String what) {
        Tensor q = f32(2, 4, 5, 8), k = f32(2, 2, 8, 8);
        ColumnReduction r = ColumnReduction.builder().heads(HeadReduction.GROUP_SUM).build(); // [2, 2, 8]
        Tensor good = Inputs.filledF32(SENTINEL, 2, 2, 8);
        Tensor bad16 = Tensor.f16(new short[32], 2, 2, 8);
        switch (what) {
            case "out F16" -> assertRejected("9.7", () -> session().columnReduce(q, k, r, bad16), new Tensor[]{}, "out", "F32", "F16");
            case "out shape" -> { Tensor o = Inputs.filledF32(SENTINEL, 2, 4, 8); assertRejected("9.7", () -> session().columnReduce(q, k, r, o), new Tensor[]{o}, "out", "[2, 2, 8]", "[2, 4, 8]"); }
            case "out too small" -> { Tensor o = Inputs.filledF32(SENTINEL, 2, 2, 7); assertRejected("9.7", () -> session().columnReduce(q, k, r, o), new Tensor[]{o}, "out", "[2, 2, 8]", "[2, 2, 7]"); }
            case "out rank" -> { Tensor o = Inputs.filledF32(SENTINEL, 32); assertRejected("9.7", () -> session().columnReduce(q, k, r, o), new Tensor[]{o}, "out", "[2, 2, 8]", "[32]"); }
            case "previous longer than N" -> { Tensor p = Inputs.filledF32(1, 2, 2, 9); assertRejected("9.7", () -> session().columnReduce(q, k, r, good, p), new Tensor[]{good, p}, "previous", "8", "[2, 2, 9]"); }
            case "previous shape" -> { Tensor p = Inputs.filledF32(1, 2, 4, 3); assertRejected("9.7", () -> session().columnReduce(q, k, r, good, p), new Tensor[]{good, p}, "previous", "[2, 4, 3]"); }
            default -> assertRejected("9.7", () -> session().columnReduce(q, k, r, good, Tensor.f16(new short[24], 2, 2, 6)), new Tensor[]{good}, "previous", "F16");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"strides past the end", "offset past the end", "negative stride", "negative offset", "slice past the end", "native too small"})
    public void spec9_8_viewPastItsMemory(String what) {
        MemorySegment seg = MemorySegment.ofArray(new float[2 * 2 * 5 * 8]);
        long[] shape = {2, 2, 5, 8};
        switch (what) {
            case "strides past the end" -> assertRejected("9.8", () -> Tensor.of(seg, DType.F32, 0, shape, new long[]{80, 40, 9, 1}), new Tensor[]{}, "strides", "[80, 40, 9, 1]");
            case "offset past the end" -> assertRejected("9.8", () -> Tensor.of(seg, DType.F32, 1, shape, Tensor.contiguousStrides(shape)), new Tensor[]{}, "offset 1", "160");
            case "negative stride" -> assertRejected("9.8", () -> Tensor.of(seg, DType.F32, 100, shape, new long[]{40, 20, -8, 1}), new Tensor[]{}, "strides", "-8");
            case "negative offset" -> assertRejected("9.8", () -> Tensor.of(seg, DType.F32, -1, shape, Tensor.contiguousStrides(shape)), new Tensor[]{}, "offset", "-1");
            case "slice past the end" -> assertRejected("9.8", () -> Tensor.of(seg, DType.F32, shape).slice(2, 3, 3), new Tensor[]{}, "slice", "6");
            default -> assertRejected("9.8", () -> Tensor.of(Arena.ofAuto().allocate(100), DType.F16, shape), new Tensor[]{}, "50", "F16");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"closed q", "closed k", "k of another session", "out of another session"})
    public void spec9_9_residentFromElsewhere(String what) {
        Tensor q = f32(1, 2, 5, 8), k = f32(1, 2, 8, 8);
        Tensor out = Inputs.filledF32(SENTINEL, 1, 2, 8);
        ColumnReduction r = ColumnReduction.sum();
        switch (what) {
            case "closed q" -> {
                ResidentTensor rq = session().upload(q);
                rq.close();
                assertTrue(rq.isClosed(), "SPEC 10.1: a closed resident tensor says so");
                assertRejected("9.9", () -> session().columnReduce(rq, k, r, out), new Tensor[]{out}, "q", "closed");
            }
            case "closed k" -> {
                ResidentTensor rk = session().upload(k);
                rk.close();
                assertRejected("9.9", () -> session().columnReduce(q, rk, r, out), new Tensor[]{out}, "k", "closed");
            }
            default -> {
                try (Session other = openAnotherSession()) {
                    if (what.startsWith("k")) {
                        ResidentTensor rk = other.upload(k);
                        assertRejected("9.9", () -> session().columnReduce(q, rk, r, out), new Tensor[]{out}, "k", "another session");
                    } else {
                        ResidentTensor ro = other.allocate(DType.F32, 1, 2, 8);
                        assertRejected("9.9", () -> session().columnReduce(q, k, r, ro), new Tensor[]{}, "out", "another session");
                        assertArrayEquals(new float[16], other.download(ro), "SPEC 9: a rejected resident output keeps its contents");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"out over q", "out over k", "previous partly over out"})
    public void spec9_10_outputOverlapsInput(String what) {
        float[] shared = new float[2 * 5 * 8 + 100];
        Tensor q = Tensor.f32(shared, 1, 2, 5, 8);
        Inputs.fill(q, inputs()::gaussian);
        Tensor k = f32(1, 2, 8, 8);
        ColumnReduction r = ColumnReduction.sum();
        MemorySegment seg = MemorySegment.ofArray(shared);
        switch (what) {
            case "out over q" -> {
                Tensor out = Tensor.of(seg, DType.F32, 70, new long[]{1, 2, 8}, new long[]{16, 8, 1});
                Tensor qCopy = Inputs.contiguousCopy(q);
                assertRejected("9.10", () -> session().columnReduce(q, k, r, out), new Tensor[]{out, q}, "out", "q", "overlap");
                assertArrayEquals(qCopy.toFloatArray(), q.toFloatArray(), "SPEC 9.10: q changed on a rejected call");
            }
            case "out over k" -> {
                float[] kdata = new float[2 * 8 * 8];
                Tensor kk = Tensor.f32(kdata, 1, 2, 8, 8);
                Inputs.fill(kk, inputs()::gaussian);
                Tensor out = Tensor.f32(kdata, 1, 2, 8);
                assertRejected("9.10", () -> session().columnReduce(q, kk, r, out), new Tensor[]{kk}, "out", "k", "overlap");
            }
            default -> {
                float[] scores = new float[40];
                Arrays.fill(scores, SENTINEL);
                Tensor out = Tensor.f32(scores, 1, 2, 8);
                Tensor prev = Tensor.of(MemorySegment.ofArray(scores), DType.F32, 3, new long[]{1, 2, 8}, new long[]{16, 8, 1});
                assertRejected("9.10", () -> session().columnReduce(q, k, r, out, prev), new Tensor[]{out}, "previous", "out", "overlap");
            }
        }
    }

    // ================================================================= §10 sessions

    @ParameterizedTest
    @EnumSource(DType.class)
    public void spec10_1_residentTensors(DType dtype) {
        Case c = inputs().qk("resident", dtype, Layout.TRANSPOSED, Layout.LAST_ROWS, 2, 4, 2, 13, 29, 24, Logits.NORMAL,
                ColumnReduction.builder().mask(Mask.causal()).heads(HeadReduction.GROUP_MEAN));
        try (ResidentTensor rq = session().upload(c.q()); ResidentTensor rk = session().upload(c.k());
             ResidentTensor rout = session().allocate(DType.F32, c.outputShape())) {
            assertArrayEquals(c.q().shape(), rq.shape(), "SPEC 10.1: uploaded shape");
            assertEquals(dtype, rk.dtype(), "SPEC 10.1: uploaded dtype");
            assertArrayEquals(c.q().toFloatArray(), session().download(rq), "SPEC 10.1: download returns the uploaded q");
            assertArrayEquals(c.k().toFloatArray(), session().download(rk), "SPEC 10.1: download returns the uploaded k");
            assertArrayEquals(new float[(int) rout.elementCount()], session().download(rout), "SPEC 10.1: allocate gives zeros");
            float[] host = check(c);
            Tensor out = sentinelOutput(c);
            session().columnReduce(rq, rk, c.spec(), out);
            Compare.assertClose(c.reference(), out.toFloatArray(), c.outputShape(), dtype, "SPEC 10.1: resident q, k; " + context(c));
            Compare.assertClose(Compare.widen(host), out.toFloatArray(), c.outputShape(), dtype, 2, "SPEC 10.1: resident equals host; " + context(c));
            // running scores kept resident: accumulate in place twice
            session().columnReduce(rq, c.k(), c.spec(), rout, rout);
            session().columnReduce(c.q(), rk, c.spec(), rout, rout);
            double[] twice = c.reference();
            for (int i = 0; i < twice.length; i++) twice[i] *= 2;
            Compare.assertClose(twice, session().download(rout), c.outputShape(), dtype, "SPEC 10.1 + 6.2: resident running scores, two steps; " + context(c));
            Tensor into = Inputs.filledF32(SENTINEL, c.outputShape());
            session().download(rout, into);
            Compare.assertClose(twice, into.toFloatArray(), c.outputShape(), dtype, "SPEC 10.1: download into a host view; " + context(c));
        }
    }

    @Test
    public void spec10_2_closedSession() {
        Case c = inputs().qk("closed session", 1, 2, 1, 6, 10, 8, ColumnReduction.builder());
        Session s = openAnotherSession();
        ResidentTensor rk = s.upload(c.k());
        float[] before = s.columnReduce(c.q(), rk, c.spec());
        Compare.assertClose(c.reference(), before, c.outputShape(), DType.F32, "SPEC 10.1 in a second session; " + context(c));
        s.close();
        assertTrue(rk.isClosed(), "SPEC 10.2: closing the session frees (closes) its resident tensors");
        Tensor out = sentinelOutput(c);
        assertThrows(IllegalStateException.class, () -> s.columnReduce(c.q(), c.k(), c.spec(), out), "SPEC 10.2: columnReduce on a closed session");
        assertArrayEquals(sentinelOutput(c).toFloatArray(), out.toFloatArray(), "SPEC 10.2: a call on a closed session writes nothing");
        assertThrows(IllegalStateException.class, () -> s.upload(c.q()), "SPEC 10.2: upload on a closed session");
        assertThrows(IllegalStateException.class, () -> s.allocate(DType.F32, 2, 3), "SPEC 10.2: allocate on a closed session");
        assertThrows(IllegalStateException.class, () -> s.download(rk), "SPEC 10.2: download on a closed session");
        s.close(); // idempotent
        check(c); // this class's session is unaffected
    }
}
