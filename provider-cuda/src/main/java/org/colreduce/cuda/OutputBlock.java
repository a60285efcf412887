package org.colreduce.cuda;

import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The second by-value parameter of the attention output kernels, {@code struct OutputProblem} of
 * attention_output.cuh, at the same offsets (the header asserts its size). {@link #params} holds
 * both parameters of a launch: the session's {@link ProblemBlock} and this block.
 */
final class OutputBlock implements AutoCloseable {
    static final int SIZE = 88;
    static final int V = 0, O = 8, VSB = 16, VSH = 24, VSN = 32, DV = 40, LDV = 44, OUT_F32 = 48, ONLINE = 52, SCHEDULER = 56,
            PARTIAL_O = 64, PARTIAL_STATS = 72, SPLITS = 80, KEYS_PER_SPLIT = 84;

    final BytePointer bytes = new BytePointer(SIZE);
    final PointerPointer<BytePointer> params = new PointerPointer<>(2);

    OutputBlock(ProblemBlock problem) {
        params.put(0, problem.bytes);
        params.put(1, bytes);
        bytes.zero();
    }

    OutputBlock set(long v, long o, long vsb, long vsh, long vsn, int dv, int ldv, boolean outF32, boolean online, long scheduler) {
        var b = bytes.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(V, v).putLong(O, o).putLong(VSB, vsb).putLong(VSH, vsh).putLong(VSN, vsn)
                .putInt(DV, dv).putInt(LDV, ldv).putInt(OUT_F32, outF32 ? 1 : 0).putInt(ONLINE, online ? 1 : 0)
                .putLong(SCHEDULER, scheduler).putLong(PARTIAL_O, 0).putLong(PARTIAL_STATS, 0).putInt(SPLITS, 1).putInt(KEYS_PER_SPLIT, 0);
        return this;
    }

    /** Key slices of the mma.sync output kernel and their partial results (attention_output_combine folds them). */
    OutputBlock splits(int splits, int keysPerSplit, long partialO, long partialStats) {
        bytes.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).putLong(PARTIAL_O, partialO).putLong(PARTIAL_STATS, partialStats)
                .putInt(SPLITS, splits).putInt(KEYS_PER_SPLIT, keysPerSplit);
        return this;
    }

    @Override
    public void close() {
        params.close();
        bytes.close();
    }
}
