package org.colreduce.cpu;

/**
 * exp for float, from exact lane operations only (fma, add, bit shifts): Cody–Waite reduction
 * to r = x − n·ln2, |r| ≤ ln2/2, then Cephes' degree-6 polynomial (about 1 ulp). The Vector API
 * version in {@link VectorKernels} performs the same operations in the same order, so both
 * paths give the same bits, in the interpreter and in compiled code alike (the JDK's own vector
 * EXP may not: its fallback and its intrinsic differ in the last bit, which would break the
 * bitwise determinism of SPEC 8.1 between a cold and a warm call).
 * Inputs below −87.3 give 0 (not the subnormal), above 88 give ∞, NaN gives NaN.
 */
final class FastExp {
    /** exp(LOW) is about the smallest normal float; 2^n of larger inputs above HIGH would overflow the exponent. */
    static final float LOW = -87.3f, HIGH = 88f;
    static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2²³: adding it rounds a float of magnitude < 2²² to an integer in the low mantissa bits. */
    static final float ROUNDER = 12582912f;
    static final int ROUNDER_BITS = 0x4B400000;
    static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    private FastExp() {}

    static float exp(float x) {
        float t = Math.fma(x, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        float twoN = Float.intBitsToFloat((Float.floatToRawIntBits(t) - ROUNDER_BITS + 127) << 23);
        // outside [LOW, HIGH] 2^n is not a normal float: 0 below, ∞ above; NaN compares false and stays NaN
        return x < LOW ? 0f : x > HIGH ? Float.POSITIVE_INFINITY : y * twoN;
    }
}
