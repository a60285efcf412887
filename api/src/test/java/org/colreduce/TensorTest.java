package org.colreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void transposeSeesABmhdBufferAsBhmd() {
        float[] data = new float[2 * 3 * 4 * 5];
        for (int n = 0; n < data.length; n++) data[n] = n;
        Tensor bmhd = Tensor.f32(data, 2, 3, 4, 5);
        Tensor bhmd = bmhd.transpose(1, 2);
        assertArrayEquals(new long[]{2, 4, 3, 5}, bhmd.shape());
        assertEquals(bmhd.get(1, 2, 3, 4), bhmd.get(1, 3, 2, 4));
        assertFalse(bhmd.isContiguous());
        assertTrue(bmhd.isContiguous());
    }

    @Test
    void sliceSharesMemory() {
        float[] data = new float[10 * 4];
        Tensor t = Tensor.f32(data, 1, 1, 10, 4);
        Tensor last3 = t.slice(2, 7, 3);
        last3.set(42f, 0, 0, 0, 1);
        assertEquals(42f, data[7 * 4 + 1]);
    }

    @Test
    void aViewPastItsMemoryIsRejected() {
        float[] data = new float[12];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.of(MemorySegment.ofArray(data), DType.F32, 1, new long[]{3, 4}, new long[]{4, 1}));
        assertTrue(e.getMessage().contains("reaches element 12"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(data, 2, 7));
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(data, 3, 4).slice(0, 2, 2));
    }

    @Test
    void halfTypesRoundTrip() {
        assertEquals(1.5f, DType.f16ToFloat(DType.floatToF16(1.5f)));
        assertEquals(1.5f, DType.bf16ToFloat(DType.floatToBf16(1.5f)));
        // bf16 rounds to nearest even: 1 + 2^-8 is a tie between 1 and 1 + 2^-7
        assertEquals(1f, DType.BF16.round(1f + 0x1p-8f));
        assertTrue(Float.isNaN(DType.BF16.round(Float.NaN)));
        short[] bits = {DType.floatToF16(0.25f)};
        assertEquals(0.25f, Tensor.f16(bits, 1).get(0));
    }

    @Test
    void overlapIsDetectedOnHeapAndNativeMemory() {
        float[] data = new float[16];
        Tensor a = Tensor.f32(data, 16).slice(0, 0, 8), b = Tensor.f32(data, 16).slice(0, 8, 8), c = Tensor.f32(data, 16).slice(0, 4, 8);
        assertFalse(a.mayOverlap(b));
        assertTrue(a.mayOverlap(c));
        assertFalse(a.mayOverlap(Tensor.f32(new float[16], 16)));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(64);
            Tensor x = Tensor.of(seg, DType.F32, 8), y = Tensor.of(seg.asSlice(16), DType.F32, 4);
            assertTrue(x.mayOverlap(y));
            assertFalse(x.slice(0, 0, 4).mayOverlap(y));
        }
    }
}
