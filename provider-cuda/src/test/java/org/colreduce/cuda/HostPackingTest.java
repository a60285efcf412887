package org.colreduce.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.colreduce.Tensor;
import org.junit.jupiter.api.Test;

/** Staging of strided host views into padded dense rows and back, without a GPU. */
class HostPackingTest {
    @Test void transposedViewPacksRowMajorWithZeroPadding() {
        float[] data = new float[2 * 3 * 4 * 5];
        for (int i = 0; i < data.length; i++) data[i] = i + 1;
        Tensor bmhd = Tensor.f32(data, 2, 3, 4, 5);       // [B, M, H, D]
        Tensor v = bmhd.transpose(1, 2);                   // [B, H, M, D]
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dst = a.allocate(HostPacking.packedBytes(v, 8));
            dst.fill((byte) 0x7f);
            HostPacking.pack(v, dst, 8);
            long row = 0;
            for (int b = 0; b < 2; b++)
                for (int h = 0; h < 4; h++)
                    for (int m = 0; m < 3; m++, row++) {
                        for (int d = 0; d < 5; d++) assertEquals(v.get(b, h, m, d), dst.getAtIndex(ValueLayout.JAVA_FLOAT, row * 8 + d));
                        for (int d = 5; d < 8; d++) assertEquals(0f, dst.getAtIndex(ValueLayout.JAVA_FLOAT, row * 8 + d));
                    }
        }
    }

    @Test void unpackIntoStridedViewAndContiguousFastPath() {
        float[] data = new float[3 * 10];
        Tensor view = Tensor.f32(data, 3, 10).slice(1, 2, 5);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate(3 * 5 * 4);
            for (int i = 0; i < 15; i++) src.setAtIndex(ValueLayout.JAVA_FLOAT, i, i + 100);
            HostPacking.unpack(src, view, 5);
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 10; c++) assertEquals(c >= 2 && c < 7 ? 100 + r * 5 + (c - 2) : 0f, data[r * 10 + c]);
            short[] bits = {1, 2, 3, 4, 5, 6};
            Tensor h = Tensor.f16(bits, 1, 1, 2, 3);
            MemorySegment dst = a.allocate(HostPacking.packedBytes(h, 3));
            HostPacking.pack(h, dst, 3);
            for (int i = 0; i < 6; i++) assertEquals(bits[i], dst.getAtIndex(ValueLayout.JAVA_SHORT, i));
        }
    }

    @Test void strideZeroBroadcastAndNonUnitLastStride() {
        float[] data = {1, 2, 3, 4};
        Tensor bcast = Tensor.of(MemorySegment.ofArray(data), org.colreduce.DType.F32, 0, new long[]{2, 2}, new long[]{0, 2});
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dst = a.allocate(16);
            HostPacking.pack(bcast, dst, 2);
            assertArrayEquals(new float[]{1, 3, 1, 3}, dst.toArray(ValueLayout.JAVA_FLOAT));
        }
    }
}
