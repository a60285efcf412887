package org.colreduce.cuda;

import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The kernels' one by-value parameter, {@code struct Problem} of problem.cuh, written field by
 * field at the same offsets (the .cu file asserts its size). Reused across launches.
 */
final class ProblemBlock implements AutoCloseable {
    static final int SIZE = 224;
    // pointers
    static final int Q = 0, K = 8, LSE = 16, PARTIAL = 24, COLVAL = 32, PREVIOUS = 40, OUT = 48, LEN_Q = 56, LEN_K = 64, AUX = 72;
    // 64-bit
    static final int QSB = 80, QSH = 88, QSM = 96, KSB = 104, KSH = 112, KSN = 120, WINDOW = 128, COUNT = 136, SEED = 144;
    // 32-bit
    static final int B = 152, HQ = 156, HKV = 160, M = 164, N = 168, D = 172, CAUSAL = 176, TOP_LEFT = 180, SPLITS = 184,
            KEYS_PER_SPLIT = 188, REDUCTION = 192, OUT_HEADS = 196, HEAD_DIVISOR = 200, PREV_LEN = 204, LD = 208, C = 212, SGN = 216;

    final BytePointer bytes = new BytePointer(SIZE);
    final PointerPointer<BytePointer> params = new PointerPointer<>(1);

    ProblemBlock() {
        params.put(0, bytes);
        clear();
    }

    ProblemBlock clear() {
        bytes.zero();
        return this;
    }

    ProblemBlock ptr(int off, long v) { return i64(off, v); }

    ProblemBlock i64(int off, long v) {
        bytes.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).putLong(off, v);
        return this;
    }

    ProblemBlock i32(int off, int v) {
        bytes.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).putInt(off, v);
        return this;
    }

    ProblemBlock f32(int off, float v) {
        bytes.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).putFloat(off, v);
        return this;
    }

    long getI64(int off) { return bytes.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getLong(off); }

    int getI32(int off) { return bytes.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getInt(off); }

    @Override
    public void close() {
        params.close();
        bytes.close();
    }
}
