package org.colreduce;

/** Element types of Q, K and V. Results are always {@link #F32}. */
public enum DType {
    F32(4), F16(2), BF16(2);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    public int byteSize() { return bytes; }

    /** IEEE binary16 bits to float. */
    public static float f16ToFloat(short bits) { return Float.float16ToFloat(bits); }

    /** float to IEEE binary16 bits, round to nearest even. */
    public static short floatToF16(float v) { return Float.floatToFloat16(v); }

    /** bfloat16 bits to float: the upper half of a float. */
    public static float bf16ToFloat(short bits) { return Float.intBitsToFloat((bits & 0xFFFF) << 16); }

    /** float to bfloat16 bits, round to nearest even; NaN stays NaN. */
    public static short floatToBf16(float v) {
        int x = Float.floatToRawIntBits(v);
        if ((x & 0x7FFFFFFF) > 0x7F800000) return (short) ((x >>> 16) | 0x0040);
        int rounded = x + 0x7FFF + ((x >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** Rounds a float to this type and back: what a value becomes once stored as this type. */
    public float round(float v) {
        return switch (this) {
            case F32 -> v;
            case F16 -> f16ToFloat(floatToF16(v));
            case BF16 -> bf16ToFloat(floatToBf16(v));
        };
    }
}
