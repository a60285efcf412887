package org.colreduce.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.util.Arrays;
import org.bytedeco.cuda.cudart.CUtensorMap;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The TMA tensor maps of one warp-specialised kernel launch (attention_output_ws.cuh), after its
 * by-value parameter blocks: {@link #params} holds the blocks, then the three maps (Q, K, V). Row
 * maps read a [B][H][rows][ld] tensor of 2-byte elements in boxes of 64 columns by a tile of rows,
 * 128-byte swizzled (the shared layout wgmma reads).
 */
final class TensorMaps implements AutoCloseable {
    private final CUtensorMap[] maps = {new CUtensorMap(), new CUtensorMap(), new CUtensorMap()};
    final PointerPointer<Pointer> params;

    /** {@code blocks}: the kernel's by-value parameter blocks that come before the maps. */
    TensorMaps(Pointer... blocks) {
        params = new PointerPointer<>(blocks.length + maps.length);
        for (int i = 0; i < blocks.length; i++) params.put(i, blocks[i]);
        for (int i = 0; i < maps.length; i++) params.put(blocks.length + i, maps[i]);
    }

    /**
     * Encodes map {@code slot} over [batch][heads][rows][ld]; false where the TMA cannot address
     * the tensor (an address or row stride not a multiple of 16 bytes, or the driver refuses),
     * and the caller launches a kernel without TMA instead.
     */
    boolean rows(int slot, long addr, int batch, int heads, int rows, int ld, int boxRows) {
        if (addr % 16 != 0 || (ld * 2L) % 16 != 0 || rows < 1) return false;
        long row = ld * 2L, head = row * rows, all = head * heads;
        if (all >= (1L << 40)) return false;
        return encode(maps[slot], CU_TENSOR_MAP_DATA_TYPE_UINT16, CU_TENSOR_MAP_SWIZZLE_128B, addr,
                new long[] {ld, rows, heads, batch}, new long[] {row, head, all}, new int[] {64, boxRows, 1, 1});
    }

    private static boolean encode(CUtensorMap map, int type, int swizzle, long addr, long[] dims, long[] strides, int[] box) {
        int[] elementStrides = new int[dims.length];
        Arrays.fill(elementStrides, 1);
        Pointer base = new Pointer() {
            { address = addr; }
        };
        return cuTensorMapEncodeTiled(map, type, dims.length, base, dims, strides.length == 0 ? null : strides, box, elementStrides,
                CU_TENSOR_MAP_INTERLEAVE_NONE, swizzle, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
    }

    @Override
    public void close() {
        params.close();
        for (CUtensorMap m : maps) m.close();
    }
}
