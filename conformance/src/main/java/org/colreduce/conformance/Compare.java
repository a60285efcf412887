package org.colreduce.conformance;

import java.util.Arrays;
import org.colreduce.DType;
import org.junit.jupiter.api.Assertions;

/**
 * The §7.1 check of a result against the float64 reference: relative Frobenius error ≤ 1e-5 for
 * F32 inputs and ≤ 1e-4 for F16/BF16, and the largest elementwise error ≤ 1e-3 of the largest
 * reference value. Where the reference is NaN (§7.3) the result must be NaN, and where the
 * reference is finite the result must be finite; the norms are taken over the finite entries.
 * An all-zero reference needs an all-zero result.
 */
public final class Compare {
    public static final double F32_RELATIVE = 1e-5;
    public static final double HALF_RELATIVE = 1e-4;
    public static final double ELEMENT_OF_MAX = 1e-3;

    private Compare() {}

    /** The relative Frobenius tolerance for inputs of a type. */
    public static double relativeTolerance(DType inputs) {
        return inputs == DType.F32 ? F32_RELATIVE : HALF_RELATIVE;
    }

    /** The measured errors of one comparison, and the worst element (flat index, −1 if none). */
    public record Errors(double relative, double maxAbsolute, double maxReference, int worst, int nanMismatch) {}

    public static Errors measure(double[] reference, float[] got) {
        if (reference.length != got.length)
            throw new IllegalArgumentException("reference has " + reference.length + " values, result " + got.length);
        double diff2 = 0, ref2 = 0, maxErr = 0, maxRef = 0;
        int worst = -1, nanMismatch = -1;
        for (int i = 0; i < reference.length; i++) {
            double r = reference[i], g = got[i];
            if (Double.isNaN(r) != Double.isNaN(g) || (Double.isFinite(r) && !Double.isFinite(g))) {
                if (nanMismatch < 0) nanMismatch = i;
                continue;
            }
            if (!Double.isFinite(r)) continue;
            double e = Math.abs(g - r);
            diff2 += e * e;
            ref2 += r * r;
            maxRef = Math.max(maxRef, Math.abs(r));
            if (e > maxErr || worst < 0) { maxErr = e; worst = i; }
        }
        double relative = ref2 == 0 ? (diff2 == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(diff2 / ref2);
        return new Errors(relative, maxErr, maxRef, worst, nanMismatch);
    }

    /** Fails with the context (seed, shapes, spec), the worst index and both values unless §7.1 holds. */
    public static void assertClose(double[] reference, float[] got, long[] shape, DType inputs, String context) {
        assertClose(reference, got, shape, inputs, 1, context);
    }

    /**
     * As {@link #assertClose(double[], float[], long[], DType, String)} with the tolerances
     * multiplied by {@code factor} (≥ 1; e.g. 2 between two backends, each within the spec of
     * the reference).
     */
    public static void assertClose(double[] reference, float[] got, long[] shape, DType inputs, double factor, String context) {
        Errors e = measure(reference, got);
        double relTol = relativeTolerance(inputs) * factor;
        double absTol = ELEMENT_OF_MAX * factor * e.maxReference();
        if (e.nanMismatch() >= 0) {
            int i = e.nanMismatch();
            Assertions.fail("SPEC 7.3: non-finite mismatch at " + at(shape, i) + ": reference " + reference[i] + ", got " + got[i]
                    + " (NaN where the reference is NaN, finite where it is finite)\n  " + context);
        }
        if (e.relative() > relTol || e.maxAbsolute() > absTol) {
            int i = e.worst();
            Assertions.fail(String.format(
                    "SPEC 7.1: relative Frobenius error %.3e (limit %.1e), largest elementwise error %.3e (limit %.3e = %.0e × max |ref| %.6g)"
                            + "%n  worst at %s of shape %s: reference %.9g, got %.9g%n  %s",
                    e.relative(), relTol, e.maxAbsolute(), absTol, ELEMENT_OF_MAX * factor, e.maxReference(),
                    at(shape, i), Arrays.toString(shape), reference[i], got[i], context));
        }
    }

    /** A flat row-major index as a multi-index, e.g. "[1, 0, 17]". */
    public static String at(long[] shape, int flat) {
        if (flat < 0) return "[]";
        long[] idx = new long[shape.length];
        long rest = flat;
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = rest % shape[d];
            rest /= shape[d];
        }
        return Arrays.toString(idx);
    }

    /** Widens a float result to double, e.g. to use one backend's result as the other's reference. */
    public static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) out[i] = values[i];
        return out;
    }
}
