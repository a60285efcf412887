package org.colreduce.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.Tensor;
import org.colreduce.conformance.Inputs.Layout;
import org.colreduce.conformance.Inputs.Logits;
import org.junit.jupiter.api.Test;

/** The generators make what they say: reproducible values, real strided views, rounded values, the promised logits. */
class InputsTest {
    @Test
    void sameSeedSameInputs() {
        Case a = new Inputs(7).randomCase(DType.F16), b = new Inputs(7).randomCase(DType.F16);
        assertArrayEquals(a.q().toFloatArray(), b.q().toFloatArray());
        assertArrayEquals(a.k().toFloatArray(), b.k().toFloatArray());
        assertEquals(a.spec().toString(), b.spec().toString());
        assertEquals(Inputs.forName("x").seed(), Inputs.forName("x").seed(), "a test's seed follows from the run's seed and its name");
    }

    @Test
    void layoutsAreTheViewsTheyName() {
        Inputs in = new Inputs(1);
        for (DType dt : DType.values()) {
            assertTrue(in.allocate(dt, Layout.CONTIGUOUS, 2, 3, 4, 5).isContiguous());
            Tensor t = in.allocate(dt, Layout.TRANSPOSED, 2, 3, 4, 5);
            assertArrayEquals(new long[]{2, 3, 4, 5}, t.shape());
            assertArrayEquals(new long[]{60, 5, 15, 1}, t.strides(), "a [B, S, H, D] buffer seen as [B, H, S, D]");
            Tensor last = in.allocate(dt, Layout.LAST_ROWS, 2, 3, 4, 5);
            assertFalse(last.isContiguous());
            assertTrue(last.offset() > 0);
            assertEquals(8, in.allocate(dt, Layout.NARROW_ROWS, 2, 3, 4, 5).stride(2), "rows of D + 3");
            Tensor off = in.allocate(dt, Layout.OFFSET, 2, 3, 4, 5);
            assertTrue(off.offset() > 0 && off.isContiguous());
            assertTrue(in.allocate(dt, Layout.NATIVE, 2, 3, 4, 5).segment().isNative());
            assertEquals(0, in.allocate(dt, Layout.BROADCAST_HEADS, 2, 3, 4, 5).stride(1));
        }
    }

    @Test
    void valuesAreStoredRounded() {
        Tensor t = new Inputs(3).normal(DType.BF16, Layout.TRANSPOSED, 1, 2, 3, 4, 100);
        for (float v : t.toFloatArray()) assertEquals(DType.BF16.round(v), v);
        Tensor copy = Inputs.contiguousCopy(t);
        assertTrue(copy.isContiguous());
        assertArrayEquals(t.toFloatArray(), copy.toFloatArray());
    }

    @Test
    void logitsAreWhatTheySay() {
        Inputs in = new Inputs(5);
        Case eqK = in.qk("t", DType.F32, Layout.CONTIGUOUS, Layout.CONTIGUOUS, 1, 1, 1, 3, 4, 2, Logits.EQUAL_KEYS, ColumnReduction.builder());
        float[] k = eqK.k().toFloatArray();
        for (int j = 1; j < 4; j++) assertEquals(k[0], k[2 * j]);
        // equal keys: every row of P is uniform, so each column sums to M / N
        for (double v : eqK.reference()) assertEquals(3 / 4.0, v, 1e-12);
        Case peaky = in.qk("t", DType.F32, Layout.CONTIGUOUS, Layout.CONTIGUOUS, 1, 1, 1, 3, 4, 16, Logits.PEAKY, ColumnReduction.builder());
        assertEquals(2.0, peaky.spec().scale(), 1e-12, "scale 8/√D");
    }
}
