package org.colreduce.conformance;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.colreduce.DType;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The §7.1 check itself: it passes what the spec allows and fails, with a useful message, what it does not. */
class CompareTest {
    private static final long[] SHAPE = {1, 2, 3};
    private static final double[] REF = {1, 2, 3, 4, 5, 6};

    private static float[] perturbed(int at, double by) {
        float[] got = new float[REF.length];
        for (int i = 0; i < got.length; i++) got[i] = (float) REF[i];
        got[at] += (float) by;
        return got;
    }

    @Test
    void withinToleranceF32() {
        assertDoesNotThrow(() -> Compare.assertClose(REF, perturbed(4, 5e-5), SHAPE, DType.F32, "ctx"));
    }

    @Test
    void beyondRelativeToleranceF32ButNotHalf() {
        // ‖ref‖ = √91 ≈ 9.54; an error of 2e-4 is 2.1e-5 relative
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> Compare.assertClose(REF, perturbed(4, 2e-4), SHAPE, DType.F32, "seed 7; spec X"));
        assertTrue(e.getMessage().contains("[0, 1, 1]") && e.getMessage().contains("seed 7; spec X") && e.getMessage().contains("reference 5"), e.getMessage());
        assertDoesNotThrow(() -> Compare.assertClose(REF, perturbed(4, 2e-4), SHAPE, DType.BF16, "ctx"));
    }

    @Test
    void elementwiseLimitCatchesASmallColumnGoneWrong() {
        double[] ref = new double[1000];
        ref[0] = 1000;
        float[] got = new float[1000];
        got[0] = 1000;
        got[999] = 1.5f; // relative Frobenius 1.5e-3 fails F32; elementwise 1.5 > 1e-3 · 1000 fails too
        assertThrows(AssertionFailedError.class, () -> Compare.assertClose(ref, got, new long[]{1000}, DType.F16, "ctx"));
        got[999] = 0.05f; // 5e-5 relative, 0.05 < 1 elementwise: fine for F16
        assertDoesNotThrow(() -> Compare.assertClose(ref, got, new long[]{1000}, DType.F16, "ctx"));
    }

    @Test
    void nanMustMatch() {
        double[] ref = {1, Double.NaN};
        assertDoesNotThrow(() -> Compare.assertClose(ref, new float[]{1, Float.NaN}, new long[]{2}, DType.F32, "ctx"));
        assertThrows(AssertionFailedError.class, () -> Compare.assertClose(ref, new float[]{1, 0}, new long[]{2}, DType.F32, "ctx"));
        assertThrows(AssertionFailedError.class, () -> Compare.assertClose(new double[]{1, 2}, new float[]{1, Float.POSITIVE_INFINITY}, new long[]{2}, DType.F32, "ctx"));
    }

    @Test
    void zeroReferenceNeedsZero() {
        assertDoesNotThrow(() -> Compare.assertClose(new double[3], new float[3], new long[]{3}, DType.F32, "ctx"));
        assertThrows(AssertionFailedError.class, () -> Compare.assertClose(new double[3], new float[]{0, 1e-30f, 0}, new long[]{3}, DType.F32, "ctx"));
    }
}
